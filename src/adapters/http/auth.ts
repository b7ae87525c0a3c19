// Credentials as they arrive (CONTRACT.md): a Bearer token, or HTTP Basic as user admin. Compared
// in constant time, on digests so lengths never leak either.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** True when the request carries `Authorization: Bearer <one of the tokens>`. */
export function hasBearer(request: FastifyRequest, tokens: readonly string[]): boolean {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Bearer ')) return false;
  const given = header.slice(7);
  // Every token is compared, so the time taken does not say which one nearly matched.
  return tokens.map((token) => sameSecret(given, token)).includes(true);
}

/** True when the request carries HTTP Basic credentials for user `admin` with this password. */
export function hasAdminBasic(request: FastifyRequest, password: string): boolean {
  const header = request.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  return sameSecret(decoded, `admin:${password}`);
}
