/**
 * The shift signal: on shift, on call, near an edge, off shift with the next start, night shifts
 * across midnight and across both daylight-saving changes in Europe/London, with local times.
 */
import { describe, expect, it } from 'vitest';
import type { ShiftInfo } from '../../../../src/risk/ports.ts';
import { shiftSignal } from '../../../../src/risk/signals/shift.ts';
import { contextWith, fakePorts, outage, policyWith } from './fake-ports.ts';

const policy = policyWith({ shift: { graceBeforeMinutes: 30, graceAfterMinutes: 60 } });

function shift(start: string, end: string, changes: Partial<ShiftInfo> = {}): ShiftInfo {
  return { id: 's-1', siteId: 'royal', timezone: 'Europe/London', start: new Date(start), end: new Date(end), kind: 'scheduled', ...changes };
}

async function judge(at: string, shifts: ShiftInfo[]) {
  const ports = fakePorts({ shifts });
  const findings = await shiftSignal.evaluate(contextWith({ at: new Date(at) }), ports, policy);
  expect(findings).toHaveLength(1);
  return { ...findings[0]!, ports };
}

// Winter in London: local time is UTC.
const DAY = shift('2026-11-29T07:00:00Z', '2026-11-29T19:00:00Z');

describe('shift signal', () => {
  it('needs the user', () => {
    expect(shiftSignal).toMatchObject({ id: 'shift', needsUser: true });
  });

  it('finds a sign-in during a scheduled shift on shift, with its times in UTC and in the site\'s timezone', async () => {
    const { code, details } = await judge('2026-11-29T09:00:00Z', [DAY]);
    expect(code).toBe('on_shift');
    expect(details).toEqual({
      shiftId: 's-1',
      kind: 'scheduled',
      siteId: 'royal',
      shiftStart: '2026-11-29T07:00:00.000Z',
      shiftEnd: '2026-11-29T19:00:00.000Z',
      timezone: 'Europe/London',
      localStart: '2026-11-29 07:00 Europe/London',
      localEnd: '2026-11-29 19:00 Europe/London',
      localAt: '2026-11-29 09:00 Europe/London',
    });
  });

  it('counts an on-call shift as on shift and says so', async () => {
    const { code, details } = await judge('2026-11-29T03:00:00Z', [shift('2026-11-28T19:00:00Z', '2026-11-29T07:00:00Z', { kind: 'on_call' })]);
    expect(code).toBe('on_shift');
    expect(details.kind).toBe('on_call');
  });

  it('is on shift at the very first and the very last minute of a shift', async () => {
    expect((await judge('2026-11-29T07:00:00Z', [DAY])).code).toBe('on_shift');
    expect((await judge('2026-11-29T19:00:00Z', [DAY])).code).toBe('on_shift');
  });

  it('follows the longest of two overlapping shifts (a day shift running into on-call)', async () => {
    const onCall = shift('2026-11-29T18:00:00Z', '2026-11-30T07:00:00Z', { id: 's-2', kind: 'on_call' });
    const { details } = await judge('2026-11-29T18:30:00Z', [DAY, onCall]);
    expect(details).toMatchObject({ shiftId: 's-2', shiftEnd: '2026-11-30T07:00:00.000Z' });
  });

  it('finds a sign-in within the grace before a start near the shift edge, minutes before its start', async () => {
    const { code, details } = await judge('2026-11-29T06:40:00Z', [DAY]);
    expect(code).toBe('near_shift_edge');
    expect(details).toMatchObject({ edge: 'before_start', minutes: 20, shiftStart: '2026-11-29T07:00:00.000Z', shiftEnd: '2026-11-29T19:00:00.000Z', localStart: '2026-11-29 07:00 Europe/London' });
  });

  it('finds a sign-in within the grace after an end near the shift edge, minutes after its end', async () => {
    const { code, details } = await judge('2026-11-29T19:45:00Z', [DAY]);
    expect(code).toBe('near_shift_edge');
    expect(details).toMatchObject({ edge: 'after_end', minutes: 45, localEnd: '2026-11-29 19:00 Europe/London', localAt: '2026-11-29 19:45 Europe/London' });
  });

  it('counts the grace boundaries as near the edge, and one minute beyond them as off shift', async () => {
    expect((await judge('2026-11-29T06:30:00Z', [DAY])).code).toBe('near_shift_edge');
    expect((await judge('2026-11-29T20:00:00Z', [DAY])).code).toBe('near_shift_edge');
    expect((await judge('2026-11-29T06:29:00Z', [DAY])).code).toBe('off_shift');
    expect((await judge('2026-11-29T20:01:00Z', [DAY])).code).toBe('off_shift');
  });

  it('names the nearer edge when a sign-in falls between the end of one shift and the start of the next', async () => {
    const next = shift('2026-11-29T20:00:00Z', '2026-11-30T07:00:00Z', { id: 's-2' });
    const { details } = await judge('2026-11-29T19:50:00Z', [DAY, next]);
    expect(details).toMatchObject({ edge: 'before_start', minutes: 10, shiftId: 's-2' });
  });

  it('finds a sign-in outside every shift off shift, naming when the next shift starts', async () => {
    const tomorrow = shift('2026-11-30T07:00:00Z', '2026-11-30T19:00:00Z', { id: 's-2' });
    const { code, details } = await judge('2026-11-29T23:00:00Z', [DAY, tomorrow]);
    expect(code).toBe('off_shift');
    expect(details).toEqual({
      nextShiftStart: '2026-11-30T07:00:00.000Z',
      nextShiftLocalStart: '2026-11-30 07:00 Europe/London',
      nextShiftId: 's-2',
      siteId: 'royal',
      timezone: 'Europe/London',
      localAt: '2026-11-29 23:00 Europe/London',
      lookaheadHours: 24,
    });
  });

  it('says there is no next shift when none starts within a day', async () => {
    const { code, details } = await judge('2026-11-29T23:00:00Z', [shift('2026-12-01T07:00:00Z', '2026-12-01T19:00:00Z')]);
    expect(code).toBe('off_shift');
    expect(details).toEqual({ nextShiftStart: null, lookaheadHours: 24 });
  });

  it('asks the port once, from the after-end grace back to a day ahead', async () => {
    const { ports } = await judge('2026-11-29T09:00:00Z', []);
    expect(ports.shifts.overlapping).toHaveBeenCalledTimes(1);
    expect(ports.shifts.overlapping).toHaveBeenCalledWith('u-1', new Date('2026-11-29T08:00:00Z'), new Date('2026-11-30T09:00:00Z'));
  });

  it('ignores a shift the port returns that is long over', async () => {
    const { code } = await judge('2026-11-29T09:00:00Z', [shift('2026-11-28T07:00:00Z', '2026-11-28T19:00:00Z')]);
    expect(code).toBe('off_shift');
  });

  describe('a night shift 22:00–07:00 across midnight', () => {
    const NIGHT = shift('2026-11-29T22:00:00Z', '2026-11-30T07:00:00Z');

    it('is on shift on both sides of midnight', async () => {
      const before = await judge('2026-11-29T23:30:00Z', [NIGHT]);
      const after = await judge('2026-11-30T02:00:00Z', [NIGHT]);
      expect([before.code, after.code]).toEqual(['on_shift', 'on_shift']);
      expect(after.details).toMatchObject({ localStart: '2026-11-29 22:00 Europe/London', localEnd: '2026-11-30 07:00 Europe/London', localAt: '2026-11-30 02:00 Europe/London' });
    });

    it('is near the edge just before 22:00 and just after 07:00 the next morning', async () => {
      expect((await judge('2026-11-29T21:45:00Z', [NIGHT])).details).toMatchObject({ edge: 'before_start', minutes: 15 });
      expect((await judge('2026-11-30T07:30:00Z', [NIGHT])).details).toMatchObject({ edge: 'after_end', minutes: 30 });
    });
  });

  describe('daylight-saving changes in Europe/London', () => {
    // 2026-03-29 01:00 UTC: clocks go forward from 01:00 GMT to 02:00 BST, so this night is 8 hours long.
    const SPRING = shift('2026-03-28T22:00:00Z', '2026-03-29T06:00:00Z');

    it('on the night clocks go forward, shows 22:00 GMT to 07:00 BST and ends the shift at 06:00 UTC', async () => {
      const { code, details } = await judge('2026-03-29T05:30:00Z', [SPRING]);
      expect(code).toBe('on_shift');
      expect(details).toMatchObject({ localStart: '2026-03-28 22:00 Europe/London', localEnd: '2026-03-29 07:00 Europe/London', localAt: '2026-03-29 06:30 Europe/London' });
      const late = await judge('2026-03-29T06:30:00Z', [SPRING]);
      expect(late.details).toMatchObject({ edge: 'after_end', minutes: 30, localAt: '2026-03-29 07:30 Europe/London' });
    });

    it('shows a shift that starts the evening after the change in summer time', async () => {
      const { details } = await judge('2026-03-29T20:45:00Z', [shift('2026-03-29T21:00:00Z', '2026-03-30T06:00:00Z')]);
      expect(details).toMatchObject({ edge: 'before_start', minutes: 15, localStart: '2026-03-29 22:00 Europe/London', localEnd: '2026-03-30 07:00 Europe/London' });
    });

    // 2026-10-25 01:00 UTC: clocks go back from 02:00 BST to 01:00 GMT, so this night is 10 hours long.
    const AUTUMN = shift('2026-10-24T21:00:00Z', '2026-10-25T07:00:00Z');

    it('on the night clocks go back, is on shift through the repeated hour and until 07:00 GMT', async () => {
      const first = await judge('2026-10-25T00:30:00Z', [AUTUMN]);
      const second = await judge('2026-10-25T01:30:00Z', [AUTUMN]);
      expect([first.code, second.code]).toEqual(['on_shift', 'on_shift']);
      expect(first.details.localAt).toBe('2026-10-25 01:30 Europe/London');
      expect(second.details.localAt).toBe('2026-10-25 01:30 Europe/London');
      expect(second.details).toMatchObject({ localStart: '2026-10-24 22:00 Europe/London', localEnd: '2026-10-25 07:00 Europe/London' });
      expect((await judge('2026-10-25T06:59:00Z', [AUTUMN])).code).toBe('on_shift');
      expect((await judge('2026-10-25T07:30:00Z', [AUTUMN])).details).toMatchObject({ edge: 'after_end', minutes: 30, localAt: '2026-10-25 07:30 Europe/London' });
    });
  });

  it('shows local times in the shift site\'s own timezone', async () => {
    const { details } = await judge('2026-11-29T15:00:00Z', [shift('2026-11-29T12:00:00Z', '2026-11-30T00:00:00Z', { timezone: 'America/New_York' })]);
    expect(details).toMatchObject({ localStart: '2026-11-29 07:00 America/New_York', localEnd: '2026-11-29 19:00 America/New_York', localAt: '2026-11-29 10:00 America/New_York' });
  });

  it('judges nothing without a user, and asks the port nothing', async () => {
    const ports = fakePorts({ shifts: [DAY] });
    expect(await shiftSignal.evaluate(contextWith({ user: undefined }), ports, policy)).toEqual([]);
    expect(ports.shifts.overlapping).not.toHaveBeenCalled();
  });

  it('lets a failing port throw, so the engine fails closed', async () => {
    const ports = fakePorts();
    ports.shifts.overlapping.mockImplementation(outage);
    await expect(shiftSignal.evaluate(contextWith(), ports, policy)).rejects.toThrow('database unreachable');
  });

  it('throws on a timezone Intl does not know rather than showing a wrong local time', async () => {
    const ports = fakePorts({ shifts: [shift('2026-11-29T07:00:00Z', '2026-11-29T19:00:00Z', { timezone: 'Mars/Olympus_Mons' })] });
    await expect(shiftSignal.evaluate(contextWith(), ports, policy)).rejects.toThrow(RangeError);
  });
});
