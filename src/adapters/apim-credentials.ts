// API-M credentials for the DoS Search API and the BaRS proxy: a fixed access token, or NHS
// England's signed-JWT client-credentials flow, application-restricted level 3 (an RS512 client
// assertion swapped for a token, cached until it expires).
// Tokens and keys stay inside this module: nothing here logs, and errors never carry them.
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../wiring/config.ts';
import { EcatError } from '../domain/errors.ts';

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
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
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
    const expiresIn = Number(answer.expires_in);
    if (typeof answer.access_token !== 'string' || !Number.isFinite(expiresIn)) {
      throw new ApimAuthError('the API-M token endpoint answered without a token and its expiry');
    }
    const renewAt = options.now().getTime() + expiresIn * 1000 - RENEW_BEFORE_EXPIRY_MS;
    cached = { token: answer.access_token, renewAt };
    return answer.access_token;
  }

  async function token(): Promise<string> {
    if (cached && options.now().getTime() < cached.renewAt) return cached.token;
    // Checks running side by side share one token request.
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return {
    kind: `signed JWT (key id ${options.keyId})`,
    async headers() {
      return { authorization: `Bearer ${await token()}` };
    },
  };
}

function describe(error: unknown): string {
  const name = (error as Error | undefined)?.name;
  return name === 'TimeoutError'
    ? 'no answer in time'
    : ((error as Partial<Error> | undefined)?.message ?? 'unknown');
}

/**
 * Chooses the credentials from configuration: APIM_ACCESS_TOKEN wins; else the signed-JWT flow
 * when its four settings are given; else none (the sandboxes). Nothing else: an API key on its
 * own is refused (401) by the DoS Search API and the BaRS proxy alike (DOMAIN.md, "Looking the
 * catalogue up"), so APIM_API_KEY alone, like a half-configured JWT flow, stops the start.
 */
export function apimCredentialsFromConfig(
  apim: Config['apim'],
  now: () => Date,
  readKey: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): ApimCredentials {
  if (apim.accessToken) {
    const headers = { authorization: `Bearer ${apim.accessToken}` };
    return { kind: 'access token', headers: () => Promise.resolve(headers) };
  }
  const jwtSettings = {
    APIM_PRIVATE_KEY_FILE: apim.privateKeyFile,
    APIM_KEY_ID: apim.keyId,
    APIM_TOKEN_URL: apim.tokenUrl,
  };
  const given = Object.entries(jwtSettings).filter(([, value]) => value !== undefined);
  if (given.length === 0 && apim.apiKey) {
    throw new ConfigError(
      'APIM_API_KEY alone is refused by the DoS Search API and the BaRS proxy (401): the signed-JWT flow needs APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID and APIM_TOKEN_URL (or set APIM_ACCESS_TOKEN instead)',
    );
  }
  if (given.length === 0) return NO_CREDENTIALS;
  const missing = Object.entries({ APIM_API_KEY: apim.apiKey, ...jwtSettings })
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  const { apiKey, privateKeyFile, keyId, tokenUrl } = apim;
  // The undefined checks only repeat `missing` for the type checker.
  if (
    missing.length > 0 ||
    apiKey === undefined ||
    privateKeyFile === undefined ||
    keyId === undefined ||
    tokenUrl === undefined
  ) {
    throw new ConfigError(
      `${missing.join(', ')} must be set too for the signed-JWT flow (${given.map(([name]) => name).join(', ')} given)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readKey(privateKeyFile));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'not a PEM private key';
    throw new ConfigError(`APIM_PRIVATE_KEY_FILE cannot be used (${reason})`);
  }
  return signedJwtCredentials({
    apiKey,
    keyId,
    tokenUrl,
    privateKey,
    now,
  });
}
