/**
 * App: what the relying app asks for. A high-sensitivity app, or an app asking for the
 * phishing-resistant level (acr `phr`), is noted; the policy's rules decide what that costs.
 */
import type { RawFinding } from '../types.ts';
import type { Signal } from './signal.ts';

export const appSignal: Signal = {
  id: 'app',
  needsUser: false,
  async evaluate(context) {
    const findings: RawFinding[] = [];
    if (context.client.sensitivity === 'high') findings.push({ code: 'sensitive_app', details: { clientId: context.client.id, sensitivity: 'high' } });
    if (context.requestedAcr.includes('phr')) findings.push({ code: 'phr_requested', details: { clientId: context.client.id, requestedAcr: [...context.requestedAcr] } });
    return findings;
  },
};
