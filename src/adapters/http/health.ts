// Liveness and readiness: /healthz answers while the process runs; /readyz only while the Redis
// primary takes a write (and, for a worker, until it starts to stop).
import type { FastifyInstance } from 'fastify';
import { onRedis, type Redis } from '../redis/connection.ts';

// Probes run every few seconds: their lines would drown the log, so only warnings are kept.
const QUIET = { logLevel: 'warn' } as const;

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function healthRoutes(
  app: FastifyInstance,
  deps: {
    redis: Redis;
    /** Written at each probe: ready means the primary takes writes, not merely answers. */
    probeKey: string;
    /** A worker draining before it exits takes no new job: not ready, though still alive. */
    stopping?: () => boolean;
  },
): Promise<void> {
  app.get('/healthz', QUIET, () => Promise.resolve({ status: 'ok' }));
  app.get('/readyz', QUIET, async (request, reply) => {
    if (deps.stopping?.()) return reply.code(503).send({ status: 'stopping' });
    try {
      // A PING is answered by a demoted primary too, which then refuses every write (READONLY).
      await onRedis(deps.redis, () => deps.redis.set(deps.probeKey, '1', 'PX', 10_000));
      return { status: 'ready', redis: 'ok' };
    } catch (error) {
      const reason = (error as Error).message;
      request.log.warn({ err: reason }, 'not ready: Redis did not take a write');
      return reply.code(503).send({ status: 'not ready', redis: 'unreachable' });
    }
  });
}
