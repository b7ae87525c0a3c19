// API-M credentials for the DoS Search API and the BaRS proxy: a fixed access token, or NHS
// England's signed-JWT client-credentials flow, application-restricted level 3 (an RS512 client
// assertion swapped for a token, cached until it expires).
// Tokens and keys stay inside this module: nothing here logs, and errors never carry them.
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { EcatError } from '../domain/errors.ts';
import { createTokenCache, type IssuedToken } from './token-cache.ts';

/**
 * The `Authorization: Bearer …` header that authenticates one request; empty when nothing is
 * configured (the sandbox). Never an `apikey` header: API-M refuses an API key on its own.
 */
export interface ApimCredentials {
  headers(): Promise<Record<string, string>>;
  /** "access token", "signed JWT (key id k1)" or "none": for the start-up line. */
  readonly kind: string;
}

/** No credentials header at all: the sandboxes, and the snapshot that needs none. */
export const NO_CREDENTIALS: ApimCredentials = { kind: 'none', headers: () => Promise.resolve({}) };

/** The token endpoint refused or could not be reached: the lookup or check is tried again later. */
export class ApimAuthError extends EcatError {
  override readonly name = 'ApimAuthError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
}

export interface SignedJwtOptions {
  apiKey: string;
  keyId: string;
  tokenUrl: string;
  privateKey: KeyObject;
  now: () => Date;
}

/** API-M accepts an assertion that expires within 5 minutes; we ask for less. */
const ASSERTION_LIFETIME_S = 240;
/** Renew a little early, so a token never expires between our check and the proxy's. */
const RENEW_BEFORE_EXPIRY_MS = 30_000;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function clientAssertion(options: SignedJwtOptions): string {
  const issuedAt = Math.floor(options.now().getTime() / 1000);
  const header = { alg: 'RS512', typ: 'JWT', kid: options.keyId };
  const claims = {
    iss: options.apiKey,
    sub: options.apiKey,
    aud: options.tokenUrl,
    jti: randomUUID(),
    exp: issuedAt + ASSERTION_LIFETIME_S,
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha512', Buffer.from(signingInput), options.privateKey);
  return `${signingInput}.${base64url(signature)}`;
}

interface TokenAnswer {
  access_token?: unknown;
  expires_in?: unknown;
}

export function signedJwtCredentials(options: SignedJwtOptions): ApimCredentials {
  async function issue(): Promise<IssuedToken> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion(options),
    });
    let response: Response;
    try {
      response = await fetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new ApimAuthError(`the API-M token endpoint could not be reached (${describe(error)})`);
    }
    if (!response.ok) {
      // The body may echo the assertion: report the status alone.
      throw new ApimAuthError(`the API-M token endpoint answered HTTP ${response.status}`);
    }
    const answer = (await response.json().catch(() => ({}))) as TokenAnswer;
    // API-M sends expires_in as a string ("599").
    const expiresInSeconds = Number(answer.expires_in);
    if (typeof answer.access_token !== 'string' || !Number.isFinite(expiresInSeconds)) {
      throw new ApimAuthError('the API-M token endpoint answered without a token and its expiry');
    }
    return { token: answer.access_token, expiresInSeconds };
  }

  const tokens = createTokenCache(issue, options.now, RENEW_BEFORE_EXPIRY_MS);
  return {
    kind: `signed JWT (key id ${options.keyId})`,
    async headers() {
      return { authorization: `Bearer ${await tokens.token()}` };
    },
  };
}

function describe(error: unknown): string {
  const name = (error as Error | undefined)?.name;
  return name === 'TimeoutError'
    ? 'no answer in time'
    : ((error as Partial<Error> | undefined)?.message ?? 'unknown');
}
