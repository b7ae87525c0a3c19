// Credentials (CONTRACT.md): a Bearer token for /api/*, HTTP Basic (user admin) for the pages and
// the dashboard. Compared in constant time, on digests so lengths never leak either.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerGuard(token: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (token === undefined) return;
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(given, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="ecat"')
        .send({
          errors: [{ path: '', message: 'a valid Authorization: Bearer token is required' }],
        });
    }
  };
}

export function basicGuard(password: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (password === undefined) return;
    const header = request.headers.authorization ?? '';
    const decoded = header.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8')
      : '';
    const separator = decoded.indexOf(':');
    const user = decoded.slice(0, separator);
    const given = decoded.slice(separator + 1);
    if (separator < 0 || !sameSecret(`${user}:${given}`, `admin:${password}`)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="ecat", charset="UTF-8"')
        .type('text/plain')
        .send('Sign in as admin with the ADMIN_PASSWORD.');
    }
  };
}
