// The directory port: where CareConnect findings come from. Two adapters implement it — the DoS
// FHIR API (fhir-directory.ts) and a FHIR Bundle snapshot on disk (snapshot-directory.ts).
import type { Endpoint } from 'fhir/r4.js';
import type { Environment } from '../request/schema.ts';

export interface DirectoryQuery {
  dosServiceId: string;
  odsCode: string;
  environment: Environment;
}

export interface DirectoryLookup {
  /** The scheduling Endpoints DoS holds for the service (possibly none). */
  endpoints: Endpoint[];
  /** Where the answer came from, for the finding's detail ("DoS Search API (INT)", "snapshot"). */
  source: string;
}

export interface Directory {
  /** Throws DirectoryUnavailableError when the directory cannot answer; "none found" is not an error. */
  schedulingEndpoints(query: DirectoryQuery): Promise<DirectoryLookup>;
}

/** The directory could not be reached or answered nonsense: the finding is `unverified`, not `missing`. */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}
