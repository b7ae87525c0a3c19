// Builds a proxy client for each environment whose CATALOGUE_URL_<ENV> is set; the others are
// confirmed by hand (CONTRACT.md, "Configuration").
import type { Config } from '../../wiring/config.ts';
import { ENVIRONMENTS, type Environment } from '../../domain/request/schema.ts';
import type { ApimCredentials } from '../apim-credentials.ts';
import { createCatalogueClient, type CatalogueClient } from './proxy-client.ts';

export type Catalogue = Partial<Record<Environment, CatalogueClient>>;

export function createCatalogue(
  config: Config['catalogue'],
  credentials: ApimCredentials,
  now: () => Date,
): Catalogue {
  return Object.fromEntries(
    ENVIRONMENTS.flatMap((environment) => {
      const baseUrl = config.urls[environment];
      return baseUrl
        ? [[environment, createCatalogueClient({ baseUrl, environment, credentials }, now)]]
        : [];
    }),
  );
}

/** For the worker's start-up line: where confirmation comes from, without any secret. */
export function describeCatalogue(catalogue: Catalogue): string {
  const environments = Object.keys(catalogue);
  return environments.length === 0
    ? 'requests are confirmed by hand (no CATALOGUE_URL_INT or CATALOGUE_URL_PROD)'
    : `checking the BaRS proxy for ${environments.join(' and ')}`;
}
