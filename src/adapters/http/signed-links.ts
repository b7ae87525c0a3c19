// Signed links (README "Links in the email"): the tokens behind the BaRS team's "Mark as
// configured" link and the requester's status page, signed with the Signer's `link` key; the
// Redis record that a configure link has been used; and the links the worker writes into the email.
// What a token says and how long it lasts is the domain's (domain/links/link-token.ts).
import { randomBytes } from 'node:crypto';
import type { EmailLinks } from '../../domain/email/configuration-email.ts';
import {
  decodeClaims,
  encodeClaims,
  expiryOf,
  judgeClaims,
  splitToken,
  type LinkAction,
  type LinkClaims,
  type LinkReading,
} from '../../domain/links/link-token.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import { onRedis, type Redis } from '../redis/connection.ts';
import type { Signer } from '../signing.ts';

export interface SignedLinks {
  /** A new token for the request and action, with a fresh nonce: no two are alike. */
  issue(requestId: string, action: LinkAction): string;
  /** A token judged for a page taking `action`: shape, signature, action, expiry (not use). */
  read(token: string, action: LinkAction): LinkReading;
  /** `/status/<token>`: the requester's page, for a page on this server to link to. */
  statusLinkFor(requestId: string): string;
}

/**
 * A token is about 200 characters (a request id, an action, an expiry and a nonce, then the
 * signature): the router must take path parameters this long (Fastify's `maxParamLength`, 100 by
 * default, answers 414 beyond it).
 */
export const LINK_TOKEN_MAX_LENGTH = 400;

/** The path of each kind of link under the server's root (route-rules.ts lists them as open). */
export const LINK_PATHS: Record<LinkAction, (token: string) => string> = {
  configure: (token) => `/link/${token}`,
  status: (token) => `/status/${token}`,
};

/**
 * Node reads base64url leniently: a last character that differs only in its unused bits decodes
 * to the same bytes. Only the one spelling the signer writes is taken, so every changed character
 * makes a token invalid.
 */
function isCanonical(text: string): boolean {
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}

export function createSignedLinks(
  signer: Signer,
  options: { linkDays: number; now: () => Date },
): SignedLinks {
  const issue = (requestId: string, action: LinkAction) => {
    const claims: LinkClaims = {
      r: requestId,
      a: action,
      e: expiryOf(action, options.now().getTime(), options.linkDays),
      n: randomBytes(16).toString('base64url'),
    };
    const payload = encodeClaims(claims);
    return `${payload}.${signer.sign('link', payload)}`;
  };
  return {
    issue,
    read(token, action) {
      const parts = splitToken(token);
      if (!parts || !isCanonical(parts.signature)) return { ok: false, problem: 'not-valid' };
      // The signature first: nothing a token claims is believed, or even read, before it.
      if (!signer.verify('link', parts.payload, parts.signature)) {
        return { ok: false, problem: 'not-valid' };
      }
      const claims = decodeClaims(parts.payload);
      if (!claims) return { ok: false, problem: 'not-valid' };
      return judgeClaims(claims, action, options.now().getTime());
    },
    statusLinkFor: (requestId) => LINK_PATHS.status(issue(requestId, 'status')),
  };
}

export interface UsedLinks {
  /**
   * Marks a configure link used: true for the first caller in any process, false once it has
   * been. Remembered until the link expires, after which it is refused as expired anyway.
   */
  claim(claims: LinkClaims, now: number): Promise<boolean>;
  isUsed(claims: LinkClaims): Promise<boolean>;
  /** Gives a claim back when the change it was for failed with a fault, so the link works again. */
  release(claims: LinkClaims): Promise<void>;
}

export function createUsedLinks(redis: Redis, prefix: string): UsedLinks {
  const key = (claims: LinkClaims) => `${prefix}:link-used:${claims.n}`;
  return {
    claim: (claims, now) =>
      onRedis(redis, async () => {
        const ttl = Math.max(1, claims.e - now);
        return (await redis.set(key(claims), claims.r, 'PX', ttl, 'NX')) === 'OK';
      }),
    isUsed: (claims) => onRedis(redis, async () => (await redis.exists(key(claims))) === 1),
    release: (claims) =>
      onRedis(redis, async () => {
        await redis.del(key(claims));
      }),
  };
}

/**
 * The links for one request's email, made as the worker renders it (send-request-email.ts).
 * Each render makes new tokens, so a retried email carries different links from the attempt
 * before (its Message-ID, from the record, stays the same): only the email that went counts.
 * Without PUBLIC_URL there is no address to link to, and the email says so.
 */
export function emailLinksFor(
  signer: Signer,
  settings: { linkDays: number; now: () => Date; publicUrl: string; publicUrlConfigured: boolean },
): (record: Pick<RequestRecord, 'id'>) => EmailLinks {
  const links = createSignedLinks(signer, settings);
  const url = (action: LinkAction, id: string) =>
    `${settings.publicUrl}${LINK_PATHS[action](links.issue(id, action))}`;
  return (record) =>
    settings.publicUrlConfigured
      ? { configure: url('configure', record.id), status: url('status', record.id) }
      : { unavailable: true };
}
