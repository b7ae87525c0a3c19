// One error shape for the JSON API ({errors: [{path, message}]}), and the HTTP edge's one mapping
// from errors to CONTRACT.md's status codes: ecat's own by kind (domain/errors.ts), Fastify's by code.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EcatError } from '../../domain/errors.ts';
import { NotReplicatedError } from '../redis/connection.ts';

export function errorBody(message: string, path = '') {
  return { errors: [{ path, message }] };
}

/** The path as the router reads it (`/%61pi/x` is under /api); the raw path if it does not decode. */
function decodedPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch (error) {
    if (!(error instanceof URIError)) throw error;
    return path;
  }
}

/**
 * A person at a browser gets the NHS.UK "Page not found" page; the API and any client that does
 * not ask for HTML by name (scripts, curl) keep the JSON error. Who may see either was settled
 * by the access gate (access.ts) before this runs.
 */
function wantsPage(request: FastifyRequest): boolean {
  const path = decodedPath(request.url);
  if (path === '/api' || path.startsWith('/api/')) return false;
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(request.headers.accept ?? '');
}

export interface ErrorPages {
  /** Answers an unknown page for a browser (status 404). */
  notFound?: (reply: FastifyReply) => FastifyReply;
}

export function registerErrorHandler(app: FastifyInstance, pages: ErrorPages = {}): void {
  app.setErrorHandler((error: FastifyError | EcatError, request, reply) => {
    if (error instanceof EcatError) {
      switch (error.kind) {
        case 'unavailable':
          request.log.warn({ err: error.message }, 'Redis unreachable');
          return reply
            .code(503)
            .header('retry-after', '30')
            .send(
              errorBody(
                error instanceof NotReplicatedError
                  ? error.message
                  : 'Redis is unreachable; nothing was stored. Try again shortly.',
              ),
            );
        case 'invalid':
          return reply.code(400).send(errorBody(error.message));
        case 'refused':
          return reply.code(422).send(errorBody(error.message));
        case 'bug':
          break;
      }
    } else {
      switch (error.code) {
        case 'FST_ERR_CTP_BODY_TOO_LARGE':
          return reply.code(413).send(errorBody('the request body is over 64 KiB'));
        case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
          // The API's own guard (security.ts) answers a wrong type before this; what reaches here
          // is a page's body: a form, or a file upload.
          return reply
            .code(415)
            .send(errorBody('the body must be a form (or a file upload) this page takes'));
        case 'FST_ERR_CTP_INVALID_JSON_BODY':
          return reply.code(400).send(errorBody('the body is not valid JSON'));
      }
      if (error.statusCode === 429) {
        return reply
          .code(429)
          .send(errorBody('too many requests; slow down and try again shortly'));
      }
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return reply.code(error.statusCode).send(errorBody(error.message));
      }
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send(errorBody('something went wrong on our side; it has been logged'));
  });
  app.setNotFoundHandler((request, reply) => {
    if (pages.notFound && wantsPage(request)) return pages.notFound(reply);
    return reply
      .code(404)
      .send(errorBody(`there is no ${request.method} ${request.url.split('?')[0]}`));
  });
}
