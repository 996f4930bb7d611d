/**
 * Terminal: is this a registered hospital terminal? Its cookie carries a credential issued at
 * enrollment; an active terminal holding it is known, anything else (no cookie, a credential no
 * terminal holds, a revoked terminal) is an unknown device.
 */
import type { Signal } from './signal.ts';

export const terminalSignal: Signal = {
  id: 'terminal',
  needsUser: false,
  async evaluate(context, ports) {
    if (!context.terminalCredential) return [{ code: 'unknown_device', details: { reason: 'no_credential' } }];
    const terminal = await ports.terminals.identify(context.terminalCredential);
    if (!terminal) return [{ code: 'unknown_device', details: { reason: 'unknown_credential' } }];
    const about = { terminalId: terminal.id, name: terminal.name, siteId: terminal.siteId, unit: terminal.unit };
    if (terminal.status !== 'active') return [{ code: 'unknown_device', details: { reason: 'revoked', ...about } }];
    return [{ code: 'known_terminal', details: about }];
  },
};
