/**
 * The terminal signal: a registered, active ward terminal is known; no cookie, a credential no
 * terminal holds, or a revoked terminal is an unknown device, with the reason.
 */
import { describe, expect, it } from 'vitest';
import type { TerminalInfo } from '../../../../src/risk/ports.ts';
import { terminalSignal } from '../../../../src/risk/signals/terminal.ts';
import { contextWith, fakePorts, outage, policyWith } from './fake-ports.ts';

const policy = policyWith();
const WARD_PC: TerminalInfo = { id: 't-7', name: 'Ward 7 nurses station', siteId: 'royal', unit: 'Ward 7', status: 'active' };
const terminals = { 'cred-active': WARD_PC, 'cred-revoked': { ...WARD_PC, id: 't-8', name: 'Stolen laptop', status: 'revoked' as const } };

describe('terminal signal', () => {
  it('can judge before the password is checked', () => {
    expect(terminalSignal).toMatchObject({ id: 'terminal', needsUser: false });
  });

  it('knows an active terminal by its credential, naming it, its site and its unit', async () => {
    const ports = fakePorts({ terminals });
    expect(await terminalSignal.evaluate(contextWith({ terminalCredential: 'cred-active' }), ports, policy)).toEqual([
      { code: 'known_terminal', details: { terminalId: 't-7', name: 'Ward 7 nurses station', siteId: 'royal', unit: 'Ward 7' } },
    ]);
    expect(ports.terminals.identify).toHaveBeenCalledWith('cred-active');
  });

  it('treats a revoked terminal as an unknown device, saying which terminal it was', async () => {
    const findings = await terminalSignal.evaluate(contextWith({ terminalCredential: 'cred-revoked' }), fakePorts({ terminals }), policy);
    expect(findings).toEqual([{ code: 'unknown_device', details: { reason: 'revoked', terminalId: 't-8', name: 'Stolen laptop', siteId: 'royal', unit: 'Ward 7' } }]);
  });

  it('treats a credential no terminal holds as an unknown device', async () => {
    const findings = await terminalSignal.evaluate(contextWith({ terminalCredential: 'forged' }), fakePorts({ terminals }), policy);
    expect(findings).toEqual([{ code: 'unknown_device', details: { reason: 'unknown_credential' } }]);
  });

  it('treats a browser without the terminal cookie (or with an empty one) as an unknown device without asking the port', async () => {
    for (const terminalCredential of [undefined, '']) {
      const ports = fakePorts({ terminals });
      expect(await terminalSignal.evaluate(contextWith({ terminalCredential }), ports, policy)).toEqual([{ code: 'unknown_device', details: { reason: 'no_credential' } }]);
      expect(ports.terminals.identify).not.toHaveBeenCalled();
    }
  });

  it('judges without a user', async () => {
    const findings = await terminalSignal.evaluate(contextWith({ user: undefined, terminalCredential: 'cred-active' }), fakePorts({ terminals }), policy);
    expect(findings.map((f) => f.code)).toEqual(['known_terminal']);
  });

  it('lets a failing port throw', async () => {
    const ports = fakePorts();
    ports.terminals.identify.mockImplementation(outage);
    await expect(terminalSignal.evaluate(contextWith({ terminalCredential: 'cred-active' }), ports, policy)).rejects.toThrow('database unreachable');
  });
});
