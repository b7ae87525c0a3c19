// Access tokens for SMTP AUTH XOAUTH2 from the Microsoft identity platform (NHSmail is Exchange
// Online, where Basic authentication is being switched off): the client-credentials flow, with a
// client secret or a certificate, for the scope https://outlook.office365.com/.default. A token
// is kept until shortly before it expires. Secrets and tokens never reach a log or an error.
import {
  createHash,
  randomUUID,
  sign,
  constants,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { TemporaryMailError } from '../../ports/mailer.ts';
import { createTokenCache, type IssuedToken, type TokenCache } from '../token-cache.ts';

export const OUTLOOK_SCOPE = 'https://outlook.office365.com/.default';

export type ClientProof =
  | { kind: 'secret'; secret: string }
  /** A certificate registered with the app: its private key signs a client assertion. */
  | { kind: 'certificate'; certificatePem: string; privateKey: KeyObject };

export interface MicrosoftTokenSettings {
  /** `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`, or a stand-in's. */
  tokenUrl: string;
  clientId: string;
  scope: string;
  proof: ClientProof;
}

/** Renew five minutes early (Entra tokens last an hour or more). */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** Entra accepts a client assertion valid for at most 10 minutes; we ask for less. */
const ASSERTION_LIFETIME_S = 300;

export function microsoftTokenUrl(tenant: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
}

/**
 * The signed JWT Entra takes in place of a secret: PS256, the certificate named by its SHA-256
 * thumbprint (`x5t#S256`), for the token URL as audience.
 */
export function certificateAssertion(
  settings: Pick<MicrosoftTokenSettings, 'tokenUrl' | 'clientId'>,
  proof: Extract<ClientProof, { kind: 'certificate' }>,
  now: Date,
): string {
  const der = new X509Certificate(proof.certificatePem).raw;
  const header = {
    alg: 'PS256',
    typ: 'JWT',
    'x5t#S256': createHash('sha256').update(der).digest('base64url'),
  };
  const issuedAt = Math.floor(now.getTime() / 1000);
  const claims = {
    aud: settings.tokenUrl,
    iss: settings.clientId,
    sub: settings.clientId,
    jti: randomUUID(),
    nbf: issuedAt,
    iat: issuedAt,
    exp: issuedAt + ASSERTION_LIFETIME_S,
  };
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(signingInput), {
    key: proof.privateKey,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: 32,
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

function requestBody(settings: MicrosoftTokenSettings, now: Date): URLSearchParams {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: settings.clientId,
    scope: settings.scope,
  });
  if (settings.proof.kind === 'secret') {
    body.set('client_secret', settings.proof.secret);
  } else {
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', certificateAssertion(settings, settings.proof, now));
  }
  return body;
}

/** Without a token nothing can be sent yet: the email is tried again later, as for a 4xx. */
function tokenError(detail: string): TemporaryMailError {
  return new TemporaryMailError(
    `no SMTP access token from the Microsoft identity platform: ${detail}`,
    'EAUTH',
    undefined,
  );
}

export function microsoftTokens(settings: MicrosoftTokenSettings, now: () => Date): TokenCache {
  async function issue(): Promise<IssuedToken> {
    let response: Response;
    try {
      response = await fetch(settings.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: requestBody(settings, now()),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      throw tokenError(name === 'TimeoutError' ? 'no answer in time' : 'unreachable');
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      // Entra's error codes (invalid_client, unauthorized_client…) name the problem without
      // echoing the secret; its description can be long, so the code alone is kept.
      const code = typeof answer.error === 'string' ? ` ${answer.error}` : '';
      throw tokenError(`HTTP ${response.status}${code}`);
    }
    const expiresInSeconds = Number(answer.expires_in);
    if (typeof answer.access_token !== 'string' || !Number.isFinite(expiresInSeconds)) {
      throw tokenError('the answer has no access_token and expires_in');
    }
    return { token: answer.access_token, expiresInSeconds };
  }
  return createTokenCache(issue, now, RENEW_BEFORE_EXPIRY_MS);
}
