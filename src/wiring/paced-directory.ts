// DoS Search lookups paced through Redis, for the processes that have Redis (kept apart from
// directory.ts, so `ecat validate` and `preview`, which have none, do not load a Redis client).
import type { Environment } from '../domain/request/schema.ts';
import type { Directory } from '../ports/directory.ts';
import type { RateLimiter } from '../use-cases/rate-limiter.ts';
import { createRedisRateLimiter, paceKeys } from '../adapters/redis/rate-limiter.ts';
import type { Redis } from '../adapters/redis/connection.ts';
import type { Config } from './config.ts';

/**
 * The directory with each DoS Search lookup taking its turn in Redis, where every process (web
 * intake, the worker's re-checks, imports) counts against DIRECTORY_RATE_LIMIT a second together,
 * per environment. A lookup is one request (no /metadata); the adapter's retries of a 429 or 5xx
 * within it take no turn of their own. The snapshot is a file: it waits for nothing.
 */
export function pacedDirectory(
  directory: Directory,
  config: Pick<Config, 'directory' | 'rateLimits' | 'queuePrefix'>,
  redis: Redis,
): Directory {
  const keys = paceKeys(config.queuePrefix);
  const limiters: Partial<Record<Environment, RateLimiter>> = {};
  for (const environment of ['INT', 'PROD'] as const) {
    if (!config.directory.urls[environment]) continue;
    limiters[environment] = createRedisRateLimiter(redis, keys.directory(environment), {
      perWindow: config.rateLimits.directoryPerSecond,
      windowMs: 1000,
      // The lookup's whole budget (DIRECTORY_TIMEOUT_MS), and an API-M token fetched before it.
      leaseMs: config.directory.timeoutMs + 5000,
    });
  }
  return {
    schedulingEndpoints(query) {
      const lookup = () => directory.schedulingEndpoints(query);
      return limiters[query.environment]?.run(lookup) ?? lookup();
    },
  };
}
