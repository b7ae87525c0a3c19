// Chooses the directory adapter per environment from configuration: the DoS Search API where its
// URL is set, else the snapshot file (read once, and only when some environment needs it).
import { NO_CREDENTIALS, type ApimCredentials } from '../adapters/apim-credentials.ts';
import {
  createFhirDirectory,
  type DirectoryLog,
} from '../adapters/dos-search/dos-search-directory.ts';
import { loadSnapshotDirectory } from '../adapters/dos-search/snapshot-directory.ts';
import type { Environment } from '../domain/request/schema.ts';
import type { Directory } from '../ports/directory.ts';
import type { RateLimiter } from '../use-cases/rate-limiter.ts';
import { createRedisRateLimiter, paceKeys } from '../adapters/redis/rate-limiter.ts';
import type { Redis } from '../adapters/redis/connection.ts';
import type { Config } from './config.ts';

export async function createDirectory(
  config: Config['directory'],
  credentials: ApimCredentials = NO_CREDENTIALS,
  /** Where the DoS Search adapter reports refused or failed lookups (400 diagnostics, 401/403). */
  log?: DirectoryLog,
): Promise<Directory> {
  const needsSnapshot = !config.urls.INT || !config.urls.PROD;
  const snapshot = needsSnapshot ? await loadSnapshotDirectory(config.snapshotFile) : undefined;
  const byEnvironment = {} as Record<Environment, Directory>;
  for (const environment of ['INT', 'PROD'] as const) {
    const baseUrl = config.urls[environment];
    if (baseUrl) {
      byEnvironment[environment] = createFhirDirectory({
        baseUrl,
        environment,
        timeoutMs: config.timeoutMs,
        credentials,
        ...(log === undefined ? {} : { log }),
      });
    } else if (snapshot) {
      byEnvironment[environment] = snapshot;
    } else {
      // Cannot happen: an environment without a URL is what makes needsSnapshot true.
      throw new Error(`no ${environment} directory URL and no snapshot loaded`);
    }
  }
  return {
    schedulingEndpoints: (query) => byEnvironment[query.environment].schedulingEndpoints(query),
  };
}

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
