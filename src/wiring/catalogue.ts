// Builds a proxy client for each environment whose CATALOGUE_URL_<ENV> is set; the others are
// confirmed by hand (CONTRACT.md, "Configuration").
import type { ApimCredentials } from '../adapters/apim-credentials.ts';
import { createCatalogueClient } from '../adapters/bars-proxy/proxy-client.ts';
import { ENVIRONMENTS } from '../domain/request/schema.ts';
import type { Catalogue } from '../ports/catalogue.ts';
import type { Config } from './config.ts';

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
