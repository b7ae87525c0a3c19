// What every response and every body goes through: security headers (helmet, with a CSP nonce for
// the NHS.UK template's inline script), compression, the body parsers, and the rate limiter routes
// opt into.
import compress from '@fastify/compress';
import formBody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromOurSite } from './csrf.ts';
import { errorBody } from './errors.ts';

/** CONTRACT.md: a body over 64 KiB is refused with 413. */
export const BODY_LIMIT = 64 * 1024;

/**
 * `rateLimitStore`: where the limited routes count (Redis, shared by every instance).
 * `formOrigins`: where a form of ours may lead besides ourselves. Sign-out posts to us and we send
 * the browser on to the provider's sign-out page, and a form's redirects are held to form-action.
 */
export async function security(
  app: FastifyInstance,
  rateLimitStore: FastifyRateLimitStoreCtor,
  formOrigins: readonly string[] = [],
): Promise<void> {
  await app.register(helmet, {
    enableCSPNonces: true,
    // Same-origin posts then carry their Origin (the CSRF check reads it); other sites get nothing.
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        // NHS.UK's Frutiger web font; without it the pages fall back to Arial.
        'font-src': ["'self'", 'https://assets.nhs.uk'],
        'form-action': ["'self'", ...formOrigins],
        // Added per response below, only when the page came over HTTPS: on plain HTTP (a LAN
        // name, no TLS) it would send the browser to fetch every stylesheet over HTTPS, and fail.
        'upgrade-insecure-requests': null,
      },
    },
  });
  app.addHook('onSend', async (request, reply) => {
    upgradeWhenHttps(request, reply);
  });
  // Pages, JSON, CSS and scripts of 1 KiB or more, brotli or gzip as the client accepts (the
  // plugin's brotli quality is 4: fast enough for pages rendered per request).
  await app.register(compress, { threshold: 1024, encodings: ['br', 'gzip'] });
  // Only routes that set `config.rateLimit` are limited: the POSTs that store something.
  // A store that cannot count (Redis away) fails the post with its error, which the error handlers
  // answer 503; skipping it would let every post through unlimited.
  await app.register(rateLimit, { global: false, store: rateLimitStore, skipOnError: false });
  await app.register(formBody, { bodyLimit: BODY_LIMIT });
}

/**
 * `upgrade-insecure-requests` in the page's CSP when it was served over HTTPS, directly or by a
 * proxy TRUST_PROXY believes (request.protocol): then nothing it loads goes over plain HTTP.
 */
export function upgradeWhenHttps(request: FastifyRequest, reply: FastifyReply): void {
  const policy = reply.getHeader('content-security-policy');
  if (request.protocol !== 'https' || typeof policy !== 'string') return;
  if (policy.includes('upgrade-insecure-requests')) return;
  reply.header('content-security-policy', `${policy};upgrade-insecure-requests`);
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A state-changing API call must say it is JSON, body or not (415 otherwise), and must not come
 * from another site's page (403). A cross-site page can only send JSON after a CORS preflight we
 * never grant, so together these shut out forged calls, bodiless ones included (CONTRACT.md).
 */
export async function apiStateChangeGuard(request: FastifyRequest, reply: FastifyReply) {
  if (!STATE_CHANGING.has(request.method)) return;
  if (!fromOurSite(request)) {
    return reply
      .code(403)
      .send(errorBody("the API does not take state-changing calls from another site's page"));
  }
  const type = (request.headers['content-type'] ?? '').replace(/;.*/s, '').trim().toLowerCase();
  if (type !== 'application/json') {
    return reply
      .code(415)
      .send(
        errorBody(
          `send Content-Type: application/json (with a body of {} or none), not ${type || 'no type'}`,
        ),
      );
  }
}

/** JSON for the API, where an empty body (confirm, cancel) is no body rather than an error. */
export function emptyTolerantJson(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      // The default parser is the callback kind: it answers through `done` and returns nothing.
      void parse(request, text, done);
    },
  );
}
