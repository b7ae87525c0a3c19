// The directory port: where CareConnect findings come from. Two adapters implement it — the DoS
// Search API (fhir-directory.ts) and a FHIR Bundle snapshot on disk (snapshot-directory.ts).
import type { Endpoint } from 'fhir/r4.js';
import { EcatError } from '../domain/errors.ts';
import type { Environment } from '../domain/request/schema.ts';

export interface DirectoryQuery {
  dosServiceId: string;
  odsCode: string;
  environment: Environment;
}

export interface DirectoryLookup {
  /** The Endpoints DoS holds for what was looked up (possibly none); classification picks the scheduling ones. */
  endpoints: Endpoint[];
  /** Where the answer came from, for the finding's detail ("DoS Search API, INT", "DoS snapshot …"). */
  source: string;
  /**
   * What the endpoints belong to, in words: "organisation Y02494" when the directory answers per
   * organisation (the DoS Search API does, DOMAIN.md), "this service" when it answered for the service.
   */
  subject?: string;
}

export interface Directory {
  /**
   * Throws DirectoryUnavailableError when the directory cannot answer now, and
   * DirectoryCannotAnswerError when it cannot answer this query at all; "none found" is an answer.
   */
  schedulingEndpoints(query: DirectoryQuery): Promise<DirectoryLookup>;
}

/**
 * The directory could not be reached, or could not answer now (5xx, 429, no answer in time,
 * credentials refused): the finding is `unverified`, and asking again later may do better.
 */
export class DirectoryUnavailableError extends EcatError {
  override readonly name = 'DirectoryUnavailableError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
  /** `credentials`: API-M refused ecat's token (401/403) — a matter for whoever runs ecat. */
  readonly reason: 'unreachable' | 'credentials';
  constructor(
    message: string,
    /** `credentials`: API-M refused ecat's token (401/403) — a matter for whoever runs ecat. */
    reason: 'unreachable' | 'credentials' = 'unreachable',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * The directory cannot answer this query, now or later: an ODS code the DoS Search API does not
 * take, or a request it refused (400). The finding is `unverified` and final: nobody asks again.
 * The message is a sentence for a DoS lead.
 */
export class DirectoryCannotAnswerError extends EcatError {
  override readonly name = 'DirectoryCannotAnswerError';
  override readonly kind = 'refused';
  override readonly retryable = false;
}
