// CSRF protection for every form: a signed, expiring token in the page, bound to the session the
// page was served under (none in the local modes), and the browser's own word on where a post came
// from (Origin, Sec-Fetch-Site). A cross-site page can neither read our token nor forge its
// signature, and one person's token does not pass under another's session. Signed with the shared
// secret (signing.ts), so a page served by one instance posts to another.
import type { FastifyRequest } from 'fastify';
import type { Signer } from '../signing.ts';

export const CSRF_FIELD = '_csrf';
const LIFETIME_MS = 2 * 60 * 60 * 1000;

export interface Csrf {
  /** A token for a form on the page answering `request`. */
  issue(now: number, request: FastifyRequest): string;
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
    // request.host is the Host header, or X-Forwarded-Host from a proxy TRUST_PROXY believes.
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

export function createCsrf(signer: Signer): Csrf {
  const bound = (issuedAt: string, request: FastifyRequest) =>
    `${issuedAt}.${request.principal.sessionId ?? ''}`;
  return {
    issue(now, request) {
      const issuedAt = String(now);
      return `${issuedAt}.${signer.sign('csrf', bound(issuedAt, request))}`;
    },
    verify(request, token, now) {
      const [issuedAt, signature, extra] = (token ?? '').split('.');
      if (!issuedAt || !signature || extra !== undefined || !fromOurSite(request)) return false;
      const age = now - Number(issuedAt);
      return (
        signer.verify('csrf', bound(issuedAt, request), signature) && age >= 0 && age <= LIFETIME_MS
      );
    },
  };
}
