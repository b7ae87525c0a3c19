// The catalogue port: what the BaRS proxy says about a service, per environment. The proxy client
// (adapters/bars-proxy) implements it; environments without CATALOGUE_URL_<ENV> have none.
import type { CapabilityStatement } from 'fhir/r4.js';
import type { Environment } from '../domain/request/schema.ts';

export type CatalogueAnswer =
  /** The proxy routed to the receiver: the service is in the catalogue. */
  | { kind: 'live'; statement: CapabilityStatement; detail: string }
  /** 404 PROXY_NOT_FOUND: not in the catalogue yet. */
  | { kind: 'absent'; detail: string }
  /** 429: slow down; ask nothing of this proxy until `retryAfterMs` has passed. */
  | { kind: 'throttled'; retryAfterMs: number; detail: string }
  /** Anything else (5xx, other 4xx, timeouts, garbage): no conclusion, try later. */
  | { kind: 'unavailable'; detail: string; reachable: boolean };

export interface CatalogueClient {
  readonly environment: Environment;
  lookup(dosServiceId: string, correlationId?: string): Promise<CatalogueAnswer>;
}

export type Catalogue = Partial<Record<Environment, CatalogueClient>>;
