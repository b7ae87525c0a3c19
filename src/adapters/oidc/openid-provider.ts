// The OpenID Connect provider through openid-client: discovery once (again after a failure), the
// authorization code flow with PKCE, state and nonce, then UserInfo where the provider has it
// (NHS CIS2 Authentication gives roles and organisations only there).
import * as client from 'openid-client';
import type { IdentityProvider } from '../../ports/people.ts';
import { SignInError } from '../../ports/people.ts';
import type { OidcConfig } from '../../wiring/people-config.ts';

function asSignInError(what: string) {
  return (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    throw new SignInError(`${what}: ${message}`, { cause: error });
  };
}

export function openIdProvider(config: OidcConfig): IdentityProvider {
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    discovered ??= client
      .discovery(
        new URL(config.issuer),
        config.clientId,
        undefined,
        config.clientSecret === undefined
          ? client.None()
          : client.ClientSecretBasic(config.clientSecret),
        // people-config.ts allows http:// only for a provider on loopback.
        new URL(config.issuer).protocol === 'http:'
          ? // eslint-disable-next-line @typescript-eslint/no-deprecated -- marked so only to stand out: people-config.ts allows it for a provider on loopback alone
            { execute: [client.allowInsecureRequests] }
          : undefined,
      )
      .catch((error: unknown) => {
        discovered = undefined;
        return asSignInError(`the sign-in provider ${config.issuer} cannot be reached`)(error);
      });
    return discovered;
  };
  return {
    async begin(returnTo) {
      const settings = await configuration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(settings, {
        redirect_uri: config.redirectUrl,
        scope: config.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      return { url: url.href, state, pending: { codeVerifier, nonce, returnTo } };
    },
    async finish(callbackUrl, state, pending) {
      const settings = await configuration();
      const tokens = await client
        .authorizationCodeGrant(settings, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        })
        .catch(asSignInError('the sign-in was not accepted'));
      const idClaims = tokens.claims();
      if (!idClaims) throw new SignInError('the provider sent no ID token');
      let userInfo = {};
      if (settings.serverMetadata().userinfo_endpoint) {
        userInfo = await client
          .fetchUserInfo(settings, tokens.access_token, idClaims.sub)
          .catch(asSignInError('the provider did not say who signed in (UserInfo)'));
      }
      return { claims: { ...idClaims, ...userInfo }, idToken: tokens.id_token };
    },
    async signOutUrl(idToken, returnTo) {
      const settings = await configuration();
      if (!settings.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(settings, {
        post_logout_redirect_uri: returnTo,
        ...(idToken ? { id_token_hint: idToken } : {}),
      }).href;
    },
  };
}
