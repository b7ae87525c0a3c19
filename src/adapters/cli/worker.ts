// `ecat worker`: sends the queued emails until SIGINT/SIGTERM, then finishes the job in hand.
import { createLogger } from '../logging.ts';
import { startWorker } from '../../wiring/runtime.ts';
import { startWorkerHttpServer } from '../http/worker-server.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT } from './io.ts';
import { serviceConfig, withRuntime } from './with-runtime.ts';

export const command = defineCommand(
  {
    about: [
      'Sends the queued emails and runs the follow-ups (reminders, the overdue sweep, the',
      'catalogue check) until SIGINT or SIGTERM, then finishes the job in hand. Answers /healthz,',
      '/readyz and /metrics on WORKER_PORT (default 3001).',
      'With NODE_ENV=production, REDIS_URL must be set.',
    ],
    options: {},
    exits: { 0: 'stopped by SIGINT or SIGTERM', 3: REDIS_UNREACHABLE },
  },
  async (_parsed, io) =>
    withRuntime(
      io,
      async (runtime) => {
        const log = createLogger(runtime.config.logLevel, {
          environment: runtime.config.environment,
        });
        const worker = startWorker(runtime, log);
        let health;
        try {
          health = await startWorkerHttpServer(runtime, worker, log);
        } catch (error) {
          // A port already taken ends the start with its one line, no job left half-run.
          await worker.stop();
          throw error;
        }
        const signal = await io.waitForStop();
        log.info(`${signal}: finishing the job in hand, then stopping`);
        // Not ready from here, still alive: the probes see the drain, Prometheus its last scrape.
        const clean = await worker.stop();
        if (!clean) log.warn('the worker did not stop in time; its job will be retried');
        await health.stop();
        return EXIT.ok;
      },
      serviceConfig(io),
    ),
);
