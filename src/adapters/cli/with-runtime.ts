// Runs a command that needs Redis: opens the runtime, runs the command, closes the runtime. Redis
// away surfaces as DependencyUnavailableError, which the CLI edge (main.ts) maps to exit 3.
import { ConfigError } from '../../domain/errors.ts';
import { loadConfig, type Config } from '../../wiring/config.ts';
import { openRuntime, type Runtime } from '../../wiring/runtime.ts';
import type { Logger } from 'pino';
import { createLogger } from '../logging.ts';
import { EXIT, type CliIo } from './io.ts';

export async function withRuntime(
  io: CliIo,
  command: (runtime: Runtime) => Promise<number>,
  config: Config = loadConfig(io.env),
): Promise<number> {
  const runtime = await openRuntime(config);
  try {
    return await command(runtime);
  } finally {
    await runtime.close();
  }
}

/**
 * The configuration a service (start, serve, worker) runs with. In production it must name its
 * Redis: the default 127.0.0.1:6379, or a private one, would hold the requests where no backup
 * or operator looks. `ecat start --private-redis` is the operator saying so on purpose.
 */
export function serviceConfig(io: CliIo, { privateRedis = false } = {}): Config {
  const config = loadConfig(io.env);
  if (config.production && !config.redis.explicit && !privateRedis) {
    throw new ConfigError(
      'REDIS_URL (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES) must be set in production (NODE_ENV=production)',
    );
  }
  return config;
}

/** A part of a service that runs until stopped: the HTTP server, the worker and its port. */
export interface Running {
  /** What stopping waits for, as the log says it: "the job in hand". */
  finishing: string;
  stop(): Promise<unknown>;
}

/**
 * A service command (serve, worker, start): its parts started on the runtime, then, at SIGINT or
 * SIGTERM, the work in hand finished and everything closed, exit 0. `log` is the command's own
 * when it logged before the runtime opened.
 */
export function runService(
  io: CliIo,
  config: Config,
  start: (runtime: Runtime, log: Logger) => Promise<Running>,
  log: Logger = createLogger(config.logLevel, { environment: config.environment }),
): Promise<number> {
  return withRuntime(
    io,
    async (runtime) => {
      const running = await start(runtime, log);
      const signal = await io.waitForStop();
      log.info(`${signal}: finishing ${running.finishing}, then stopping`);
      await running.stop();
      return EXIT.ok;
    },
    config,
  );
}
