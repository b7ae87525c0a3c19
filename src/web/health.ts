// Liveness and readiness: /healthz answers while the process runs; /readyz only while Redis does.
import type { FastifyInstance } from 'fastify';
import type { Redis } from '../redis.ts';

export async function healthRoutes(app: FastifyInstance, deps: { redis: Redis }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await deps.redis.ping();
      return { status: 'ready', redis: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'not ready', redis: 'unreachable' });
    }
  });
}
