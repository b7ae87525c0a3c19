// The links ecat puts in the email (README "Links in the email"), as data: what a token claims,
// how it is written, how long each kind lasts, and why one is refused. The signature over it is
// made and checked by the adapter (adapters/http/signed-links.ts); nothing here does I/O.
import { z } from 'zod';
import { isOutstanding, type RequestRecord } from '../request/record.ts';

export const LINK_ACTIONS = ['configure', 'status'] as const;
/** `configure`: the BaRS team marks the request configured, once. `status`: the requester's page. */
export type LinkAction = (typeof LINK_ACTIONS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;
/** The requester's status link lasts this long from the email… */
export const STATUS_LINK_DAYS = 180;
/** …and stops working this long after the request is configured or cancelled, whichever is first. */
export const STATUS_LINK_DAYS_AFTER_CLOSE = 30;

/** What a token says, under short names so the URL stays short. */
export interface LinkClaims {
  /** The request's id. */
  r: string;
  a: LinkAction;
  /** When it expires, in ms since the epoch. */
  e: number;
  /** Random, once per token: what a used `configure` link is remembered by. */
  n: string;
}

const claimsSchema = z.strictObject({
  r: z.string().regex(/^req-[A-Za-z0-9-]{1,64}$/),
  a: z.enum(LINK_ACTIONS),
  e: z.number().int().positive(),
  n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
});

/** Why a link is refused; each has its own page (link-pages.ts). */
export type LinkProblem = 'not-valid' | 'wrong-page' | 'expired' | 'used';

export type LinkReading = { ok: true; claims: LinkClaims } | { ok: false; problem: LinkProblem };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The signed part of a token: the claims as base64url JSON. */
export function encodeClaims(claims: LinkClaims): string {
  return Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
}

/** `payload.signature`, each non-empty base64url; undefined for anything else. */
export function splitToken(token: string): { payload: string; signature: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload = '', signature = ''] = parts;
  if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return undefined;
  return { payload, signature };
}

/** The claims of a payload whose signature has been checked; undefined when they are not ours. */
export function decodeClaims(payload: string): LinkClaims | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    // Signed by us, so never in practice; an old key's format would land here.
    return undefined;
  }
  const parsed = claimsSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** When a link made now expires: `configure` after LINK_DAYS, `status` after STATUS_LINK_DAYS. */
export function expiryOf(action: LinkAction, now: number, linkDays: number): number {
  return now + (action === 'configure' ? linkDays : STATUS_LINK_DAYS) * DAY_MS;
}

/**
 * Signed claims judged for a page that takes `action`, at `now`: a link for the other page is
 * refused before its age is looked at, so a status link never reads as an expired configure one.
 */
export function judgeClaims(claims: LinkClaims, action: LinkAction, now: number): LinkReading {
  if (claims.a !== action) return { ok: false, problem: 'wrong-page' };
  if (now >= claims.e) return { ok: false, problem: 'expired' };
  return { ok: true, claims };
}

/**
 * A status link stops working STATUS_LINK_DAYS_AFTER_CLOSE days after its request was configured
 * or cancelled: by then nothing is left to follow, and the page names the requester.
 */
export function statusLinkLapsed(
  record: Pick<RequestRecord, 'status' | 'history'>,
  now: number,
): boolean {
  if (isOutstanding(record.status)) return false;
  const closed = record.history.find((entry) => entry.status === record.status);
  if (!closed) return false;
  return now >= Date.parse(closed.at) + STATUS_LINK_DAYS_AFTER_CLOSE * DAY_MS;
}
