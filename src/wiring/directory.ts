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
