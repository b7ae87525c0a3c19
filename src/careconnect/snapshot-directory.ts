// The snapshot adapter: DoS as a FHIR Bundle file (config/directory.json), the embedded default
// when no DoS API is configured. The same snapshot answers for INT and PROD.
import { readFile } from 'node:fs/promises';
import {
  asBundle,
  DOS_SERVICE_ID_SYSTEM,
  endpointsOfOrganisation,
  endpointsOfService,
  hasIdentifier,
  resourcesOf,
} from './bundle.ts';
import type { Directory } from './directory.ts';

export function createSnapshotDirectory(value: unknown, source = 'DoS snapshot'): Directory {
  const bundle = asBundle(value);
  if (!bundle)
    throw new Error(`${source} is not a FHIR Bundle (resourceType 'Bundle' with entries)`);
  const services = resourcesOf(bundle, 'HealthcareService');
  return {
    async schedulingEndpoints(query) {
      // Prefer the service itself; fall back to its organisation, as the DoS Search API must today.
      const service = services.find((candidate) =>
        hasIdentifier(candidate.identifier, DOS_SERVICE_ID_SYSTEM, query.dosServiceId),
      );
      const endpoints = service
        ? endpointsOfService(bundle, service)
        : endpointsOfOrganisation(bundle, query.odsCode);
      return { endpoints, source };
    },
  };
}

export async function loadSnapshotDirectory(file: string): Promise<Directory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the DoS snapshot ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the DoS snapshot ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return createSnapshotDirectory(value, `DoS snapshot ${file}`);
}
