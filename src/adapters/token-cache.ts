// An OAuth access token kept until shortly before it expires, shared by everyone who asks meanwhile
// (one token request at a time): the API-M credentials and the SMTP XOAUTH2 login use it.

export interface IssuedToken {
  token: string;
  /** Seconds the token is valid for, from when it was issued. */
  expiresInSeconds: number;
}

export interface TokenCache {
  token(): Promise<string>;
  /** Forgets the token (a server refused it): the next call asks for a new one. */
  forget(): void;
}

export function createTokenCache(
  issue: () => Promise<IssuedToken>,
  now: () => Date,
  /** Renew this early, so a token never expires between our check and the server's. */
  renewBeforeMs: number,
): TokenCache {
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const issued = await issue();
    const lifetimeMs = issued.expiresInSeconds * 1000;
    // A short-lived token is renewed at half its life rather than never used.
    const early = Math.min(renewBeforeMs, lifetimeMs / 2);
    cached = { token: issued.token, renewAt: now().getTime() + lifetimeMs - early };
    return issued.token;
  }

  return {
    async token() {
      if (cached && now().getTime() < cached.renewAt) return cached.token;
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    forget() {
      cached = undefined;
    },
  };
}
