// `ecat worker`'s own small HTTP port (WORKER_PORT): /healthz and /readyz for the probes, and
// /metrics for Prometheus, behind the web server's gate and route table, so nothing is open by
// omission here either: the same bind address, the same credentials, the same 401s.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Runtime } from '../../wiring/runtime.ts';
import { createPersonalTokens, createSessions } from '../redis/people.ts';
import { accessControl } from './access.ts';
import { registerErrorHandler } from './errors.ts';
import { healthRoutes } from './health.ts';
import { addMetrics, metricsRoute, registryWithProcessMetrics } from './metrics.ts';
import { accessSettings, bindAddress, listenOrExplain, type RunningServer } from './server.ts';

export type WorkerServerDeps = Pick<Runtime, 'config' | 'foundation' | 'redis' | 'signer'>;

/** What the port shows of its worker: its job counts, and whether it has begun to drain. */
export interface WorkerState {
  metrics: Registry;
  readonly stopping: boolean;
}

export async function buildWorkerServer(
  deps: WorkerServerDeps,
  worker: WorkerState,
  log: Logger,
): Promise<FastifyInstance> {
  const { config, redis } = deps;
  const { limits } = config.http;
  const logger: FastifyBaseLogger = log.child({ component: 'worker-http' });
  const app = Fastify({
    loggerInstance: logger,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  });
  registerErrorHandler(app);
  accessControl(app, accessSettings(config), {
    sessions: createSessions(redis, config.queuePrefix),
    tokens: createPersonalTokens(redis, config.queuePrefix, deps.foundation.now),
    signer: deps.signer,
    // No pages here: a refusal is the plain one every other area gets.
    refusedPage: (reply, message) => reply.code(403).type('text/plain').send(message),
  });
  await app.register(healthRoutes, {
    redis,
    probeKey: `${config.queuePrefix}:readyz`,
    stopping: () => worker.stopping,
  });
  const registry = registryWithProcessMetrics();
  addMetrics(registry, worker.metrics);
  await app.register(metricsRoute, { registry });
  return app;
}

export async function startWorkerHttpServer(
  deps: WorkerServerDeps,
  worker: WorkerState,
  log: Logger,
): Promise<RunningServer> {
  const app = await buildWorkerServer(deps, worker, log);
  const { host } = bindAddress(deps.config);
  const url = await listenOrExplain(app, {
    port: deps.config.worker.port,
    host,
    variable: 'WORKER_PORT',
  });
  log.info(
    `worker health and metrics on ${url}: /healthz, /readyz, and /metrics with the web server's credentials`,
  );
  return {
    url,
    async stop() {
      await app.close();
      return true;
    },
  };
}
