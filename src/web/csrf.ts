// CSRF protection for the form without a session: a signed, expiring token in the page, and the
// Origin checked when the browser sends one. A cross-site page can neither read our token nor
// forge its signature.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const LIFETIME_MS = 2 * 60 * 60 * 1000;

export interface CsrfTokens {
  issue(now: number): string;
  verify(token: string | undefined, now: number): boolean;
}

export function createCsrfTokens(secret: Buffer = randomBytes(32)): CsrfTokens {
  const sign = (issuedAt: string) =>
    createHmac('sha256', secret).update(issuedAt).digest('base64url');
  return {
    issue(now) {
      const issuedAt = String(now);
      return `${issuedAt}.${sign(issuedAt)}`;
    },
    verify(token, now) {
      const [issuedAt, signature] = (token ?? '').split('.');
      if (!issuedAt || !signature) return false;
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
