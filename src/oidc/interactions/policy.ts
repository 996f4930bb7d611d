/**
 * When oidc-provider must ask the person again. On top of its defaults (no session, prompt=login,
 * max_age exceeded, an essential id_token acr the session does not meet), a relying app that asks
 * for `phr` (`acr_values=phr`, or an essential `acr` claim under `id_token` or `userinfo`: see
 * requestedAcrOf), or that is registered with sensitivity `high`, while the session is weaker
 * gets a login interaction, where Wardgate re-evaluates the session and steps it up instead of
 * asking for the password again. Single sign-on never carries a password session into such an app.
 */
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_PHR } from '../acr.ts';
import { requestedAcrOf } from '../../signin/context.ts';

export const ACR_UPGRADE = 'acr_upgrade';

export function createInteractionPolicy() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  const login = policy.get('login')!;
  login.checks.add(
    new Check(ACR_UPGRADE, 'the relying app asked for phishing-resistant proof that this session does not have', (ctx: KoaContextWithOIDC) => {
      const requested = requestedAcrOf((ctx.oidc.params ?? {}) as Record<string, unknown>);
      const sensitive = (ctx.oidc.client as unknown as { sensitivity?: string } | undefined)?.sensitivity === 'high';
      return (requested.includes(ACR_PHR) || sensitive) && ctx.oidc.session?.acr !== ACR_PHR ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
