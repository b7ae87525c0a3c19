// Runs a command that needs Redis: opens the runtime, runs the command, closes the runtime. Redis
// away surfaces as DependencyUnavailableError, which the CLI edge (main.ts) maps to exit 3.
import { ConfigError } from '../../domain/errors.ts';
import { loadConfig, type Config } from '../../wiring/config.ts';
import { openRuntime, type Runtime } from '../../wiring/runtime.ts';
import type { CliIo } from './io.ts';

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
