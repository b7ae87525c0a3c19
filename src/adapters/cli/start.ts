// `ecat start` (npm start): the service in one process, the HTTP server and the worker. In
// development (no REDIS_URL, NODE_ENV not production) it starts a private Redis when none answers,
// then runs everything until SIGINT/SIGTERM and drains.
import { answersOn, startPrivateRedis, type PrivateRedis } from '../redis/launcher.ts';
import { createLogger } from '../logging.ts';
import { startWorker } from '../../wiring/runtime.ts';
import { createWorkerMetrics } from '../queues/worker-metrics.ts';
import { startHttpServer } from '../http/server.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { UsageError } from './io.ts';
import { runService, serviceConfig } from './with-runtime.ts';

export const command = defineCommand(
  {
    about: [
      'The HTTP server (`ecat serve`) and the worker (`ecat worker`) in one process, until SIGINT',
      'or SIGTERM, then both finish the work in hand. Without REDIS_URL it uses the Redis on',
      '127.0.0.1:6379, starting a private redis-server (data in var/redis/) when none answers;',
      'with NODE_ENV=production REDIS_URL (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES) must be',
      'set, unless --private-redis is given.',
    ],
    options: {
      'private-redis': {
        type: 'boolean',
        description:
          'use (or start) the Redis on 127.0.0.1:6379 even with NODE_ENV=production; not with REDIS_URL',
      },
    },
    exits: {
      0: 'stopped by SIGINT or SIGTERM',
      3: `${REDIS_UNREACHABLE}, or no private one could be started`,
    },
  },
  async ({ values }, io) => {
    const wantsPrivate = values['private-redis'];
    const config = serviceConfig(io, { privateRedis: wantsPrivate });
    if (wantsPrivate && config.redis.explicit) {
      throw new UsageError('--private-redis starts a Redis of its own: unset REDIS_URL to use it');
    }
    const log = createLogger(config.logLevel, { environment: config.environment });

    let privateRedis: PrivateRedis | undefined;
    // Reached without REDIS_URL only in development or with --private-redis (serviceConfig).
    if (!config.redis.explicit && !(await answersOn(6379))) {
      // NoRedisError (unavailable) ends the command with its one line and exit 3 (main.ts).
      privateRedis = await startPrivateRedis();
      log.info('no Redis was running: started a private redis-server (data in var/redis/)');
    }
    try {
      return await runService(
        io,
        config,
        async (runtime) => {
          // The server first: a port already taken then stops the start before the worker runs.
          // One process, one /metrics: the worker's job counts are shown on the server's.
          const workerMetrics = createWorkerMetrics();
          const server = await startHttpServer(runtime, log, {
            moreMetrics: workerMetrics.registry,
          });
          const services = [server, startWorker(runtime, log, {}, workerMetrics)];
          return {
            finishing: 'work in hand',
            stop: () => Promise.all(services.map((service) => service.stop())),
          };
        },
        log,
      );
    } finally {
      await privateRedis?.stop();
    }
  },
);
