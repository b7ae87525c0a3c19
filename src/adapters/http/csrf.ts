// CSRF protection for the form without a session: a signed, expiring token in the page, and the
// browser's own word on where a post came from (Origin, Sec-Fetch-Site). A cross-site page can
// neither read our token nor forge its signature. (@fastify/csrf-protection is not among our
// dependencies; a stateless signed token suits a server whose only user is the admin.)
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const CSRF_FIELD = '_csrf';
const LIFETIME_MS = 2 * 60 * 60 * 1000;

export interface Csrf {
  issue(now: number): string;
  /** Whether a posted form came from our own page, recently. */
  verify(request: FastifyRequest, token: string | undefined, now: number): boolean;
}

/**
 * A browser says where a post came from (Sec-Fetch-Site, Origin); one that says another site is
 * refused. A client that is not a browser says neither, and passes. The form and the API use it.
 */
export function fromOurSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  // Browsers send "null" under a no-referrer policy; then only Sec-Fetch-Site can vouch for it.
  if (origin === 'null') return site === 'same-origin';
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export function createCsrf(secret: Buffer = randomBytes(32)): Csrf {
  const sign = (issuedAt: string) =>
    createHmac('sha256', secret).update(issuedAt).digest('base64url');
  return {
    issue(now) {
      const issuedAt = String(now);
      return `${issuedAt}.${sign(issuedAt)}`;
    },
    verify(request, token, now) {
      const [issuedAt, signature] = (token ?? '').split('.');
      if (!issuedAt || !signature || !fromOurSite(request)) return false;
      const expected = Buffer.from(sign(issuedAt));
      const given = Buffer.from(signature);
      const age = now - Number(issuedAt);
      return (
        given.length === expected.length &&
        timingSafeEqual(given, expected) &&
        age >= 0 &&
        age <= LIFETIME_MS
      );
    },
  };
}
