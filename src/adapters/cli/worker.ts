// `ecat worker`: sends the queued emails until SIGINT/SIGTERM, then finishes the job in hand.
import { startWorker } from '../../wiring/runtime.ts';
import { startWorkerHttpServer } from '../http/worker-server.ts';
import { createWorkerMetrics } from '../queues/worker-metrics.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { runService, serviceConfig } from './with-runtime.ts';

export const command = defineCommand(
  {
    about: [
      'Sends the queued emails and runs the follow-ups (reminders, the overdue sweep, the',
      'catalogue check) until SIGINT or SIGTERM, then finishes the job in hand. Answers /healthz,',
      '/readyz and /metrics on WORKER_PORT (default 3001).',
      'With NODE_ENV=production, REDIS_URL (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES) must be set.',
    ],
    options: {},
    exits: { 0: 'stopped by SIGINT or SIGTERM', 3: REDIS_UNREACHABLE },
  },
  async (_parsed, io) =>
    runService(io, serviceConfig(io), async (runtime, log) => {
      // The port first: one already taken then stops the start before any job is taken.
      const metrics = createWorkerMetrics();
      const state = { metrics: metrics.registry, stopping: false };
      const health = await startWorkerHttpServer(runtime, state, log);
      const worker = startWorker(runtime, log, {}, metrics);
      return {
        finishing: 'the job in hand',
        async stop() {
          // Not ready from here, still alive: the probes see the drain, Prometheus its last scrape.
          state.stopping = true;
          const clean = await worker.stop();
          if (!clean) log.warn('the worker did not stop in time; its job will be retried');
          await health.stop();
        },
      };
    }),
);
