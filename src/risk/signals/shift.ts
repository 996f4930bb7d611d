/**
 * Shift: is the person signing in at work now? On shift (an on-call shift counts), near the edge
 * of one (within the policy's grace before a start or after an end), or off shift, with the next
 * shift's start when one begins within a day. Every comparison is on instants; the site's timezone
 * is used only to spell out local times for the service desk.
 */
import { localTime } from '../local-time.ts';
import type { ShiftInfo } from '../ports.ts';
import { HOUR_MS, MINUTE_MS, type Signal } from './signal.ts';

/** How far ahead the next shift is looked for, so that off_shift can say when it starts. */
export const NEXT_SHIFT_LOOKAHEAD_HOURS = 24;

function describeShift(shift: ShiftInfo, at: Date): Record<string, unknown> {
  return {
    shiftId: shift.id,
    kind: shift.kind,
    siteId: shift.siteId,
    shiftStart: shift.start.toISOString(),
    shiftEnd: shift.end.toISOString(),
    timezone: shift.timezone,
    localStart: localTime(shift.start, shift.timezone),
    localEnd: localTime(shift.end, shift.timezone),
    localAt: localTime(at, shift.timezone),
  };
}

export const shiftSignal: Signal = {
  id: 'shift',
  needsUser: true,
  async evaluate(context, ports, policy) {
    if (!context.user) return [];
    const at = context.at.getTime();
    const graceBefore = policy.shift.graceBeforeMinutes * MINUTE_MS;
    const graceAfter = policy.shift.graceAfterMinutes * MINUTE_MS;
    // One query covers all three answers: back to the after-end grace, ahead to the next day.
    const shifts = await ports.shifts.overlapping(
      context.user.id,
      new Date(at - graceAfter),
      new Date(at + Math.max(graceBefore, NEXT_SHIFT_LOOKAHEAD_HOURS * HOUR_MS)),
    );

    // Within a shift, inclusive of both ends. With overlapping shifts (a scheduled shift running
    // into on-call), the one that lasts longest is the one the session may follow.
    const current = shifts
      .filter((s) => s.start.getTime() <= at && at <= s.end.getTime())
      .sort((a, b) => b.end.getTime() - a.end.getTime())[0];
    if (current) return [{ code: 'on_shift', details: describeShift(current, context.at) }];

    const edges = shifts
      .flatMap((shift) => {
        const untilStart = shift.start.getTime() - at;
        const sinceEnd = at - shift.end.getTime();
        return [
          ...(untilStart > 0 && untilStart <= graceBefore ? [{ shift, edge: 'before_start' as const, ms: untilStart }] : []),
          ...(sinceEnd > 0 && sinceEnd <= graceAfter ? [{ shift, edge: 'after_end' as const, ms: sinceEnd }] : []),
        ];
      })
      .sort((a, b) => a.ms - b.ms);
    const nearest = edges[0];
    if (nearest) {
      return [{ code: 'near_shift_edge', details: { edge: nearest.edge, minutes: Math.ceil(nearest.ms / MINUTE_MS), ...describeShift(nearest.shift, context.at) } }];
    }

    const next = shifts.filter((s) => s.start.getTime() > at).sort((a, b) => a.start.getTime() - b.start.getTime())[0];
    return [
      {
        code: 'off_shift',
        details: next
          ? {
              nextShiftStart: next.start.toISOString(),
              nextShiftLocalStart: localTime(next.start, next.timezone),
              nextShiftId: next.id,
              siteId: next.siteId,
              timezone: next.timezone,
              localAt: localTime(context.at, next.timezone),
              lookaheadHours: NEXT_SHIFT_LOOKAHEAD_HOURS,
            }
          : { nextShiftStart: null, lookaheadHours: NEXT_SHIFT_LOOKAHEAD_HOURS },
      },
    ];
  },
};
