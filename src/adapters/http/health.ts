// Liveness and readiness: /healthz answers while the process runs; /readyz only while Redis does
// (and, for a worker, until it starts to stop).
import type { FastifyInstance } from 'fastify';
import type { Redis } from '../redis/connection.ts';

// Probes run every few seconds: their lines would drown the log, so only warnings are kept.
const QUIET = { logLevel: 'warn' } as const;

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function healthRoutes(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    /** A worker draining before it exits takes no new job: not ready, though still alive. */
    stopping?: () => boolean;
  },
): Promise<void> {
  app.get('/healthz', QUIET, () => Promise.resolve({ status: 'ok' }));
  app.get('/readyz', QUIET, async (request, reply) => {
    if (deps.stopping?.()) return reply.code(503).send({ status: 'stopping' });
    try {
      await deps.redis.ping();
      return { status: 'ready', redis: 'ok' };
    } catch (error) {
      // PING can only fail by not reaching Redis: that is exactly "not ready".
      request.log.warn({ err: (error as Error).message }, 'not ready: Redis did not answer PING');
      return reply.code(503).send({ status: 'not ready', redis: 'unreachable' });
    }
  });
}
