// One error shape for the JSON API ({errors: [{path, message}]}), and the HTTP edge's one mapping
// from errors to CONTRACT.md's status codes: ecat's own by kind (domain/errors.ts), Fastify's by code.
import type { FastifyError, FastifyInstance } from 'fastify';
import { EcatError } from '../../domain/errors.ts';

export function errorBody(message: string, path = '') {
  return { errors: [{ path, message }] };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | EcatError, request, reply) => {
    if (error instanceof EcatError) {
      switch (error.kind) {
        case 'unavailable':
          request.log.warn({ err: error.message }, 'Redis unreachable');
          return reply
            .code(503)
            .header('retry-after', '30')
            .send(errorBody('Redis is unreachable; nothing was stored. Try again shortly.'));
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
          return reply.code(415).send(errorBody('send the body as application/json'));
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
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(`there is no ${request.method} ${request.url.split('?')[0]}`)),
  );
}
