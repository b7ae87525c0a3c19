// Asks the BaRS proxy whether a service is in the Endpoint Catalogue: `GET {base}/metadata` with
// NHSD-Target-Identifier (DOMAIN.md, "Looking the catalogue up"). The receiver's
// CapabilityStatement means live; 404 PROXY_NOT_FOUND means not yet; anything else is "ask later".
import type { CapabilityStatement, OperationOutcome } from 'fhir/r4.js';
import { Client } from 'fhir-kit-client';
import { randomUUID } from 'node:crypto';
import type { Environment } from '../../domain/request/schema.ts';
import type { CatalogueAnswer, CatalogueClient } from '../../ports/catalogue.ts';
import { ApimAuthError, type ApimCredentials } from '../apim-credentials.ts';

export const DOS_SERVICE_ID_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';

export interface CatalogueClientOptions {
  baseUrl: string;
  environment: Environment;
  credentials: ApimCredentials;
  timeoutMs?: number;
}

/** base64 of the dos-service-id identifier, the proxy's routing header (DOMAIN.md). */
export function targetIdentifier(dosServiceId: string): string {
  const identifier = { system: DOS_SERVICE_ID_SYSTEM, value: dosServiceId };
  return Buffer.from(JSON.stringify(identifier)).toString('base64');
}

interface HttpFailure {
  response?: { status?: number; data?: unknown };
  // What fhir-kit-client throws is untyped: only what is read here, `get` checked before use.
  config?: { headers?: { get?: (name: string) => string | null } };
}

const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Retry-After in seconds or as an HTTP date; a minute when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: Date): number {
  if (!header) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - now.getTime());
}

function isProxyNotFound(data: unknown): boolean {
  const outcome = data as Partial<OperationOutcome> | undefined;
  if (outcome?.resourceType !== 'OperationOutcome') return false;
  return (outcome.issue ?? []).some(
    (issue) =>
      (issue.details?.coding ?? []).some((coding) => coding.code === 'PROXY_NOT_FOUND') ||
      issue.diagnostics?.includes('PROXY_NOT_FOUND') === true,
  );
}

/** Classifies what fhir-kit-client threw. Anything that is not an HTTP or transport failure is our bug. */
export function classifyFailure(error: unknown, now: Date): CatalogueAnswer {
  if (error instanceof ApimAuthError) {
    return { kind: 'unavailable', detail: error.message, reachable: false };
  }
  const failure = error as HttpFailure;
  const status = failure.response?.status;
  if (status === 404 && isProxyNotFound(failure.response?.data)) {
    return { kind: 'absent', detail: 'not in the Endpoint Catalogue yet (404 PROXY_NOT_FOUND)' };
  }
  if (status === 429) {
    const wait = retryAfterMs(failure.config?.headers?.get?.('retry-after'), now);
    return {
      kind: 'throttled',
      retryAfterMs: wait,
      detail: 'the proxy asked us to slow down (429)',
    };
  }
  if (status !== undefined) {
    return {
      kind: 'unavailable',
      detail: status < 300 ? 'the answer was not JSON' : `HTTP ${status}`,
      reachable: true,
    };
  }
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'unavailable', detail: 'no answer in time', reachable: false };
  }
  if (error instanceof TypeError) {
    return { kind: 'unavailable', detail: `unreachable (${error.message})`, reachable: false };
  }
  throw error;
}

export function createCatalogueClient(
  options: CatalogueClientOptions,
  now: () => Date,
): CatalogueClient {
  const client = new Client({ baseUrl: options.baseUrl });
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    environment: options.environment,
    async lookup(dosServiceId, correlationId = randomUUID()) {
      let answer: unknown;
      try {
        const headers = {
          ...(await options.credentials.headers()),
          accept: 'application/fhir+json',
          'NHSD-Target-Identifier': targetIdentifier(dosServiceId),
          'X-Request-Id': randomUUID(),
          'X-Correlation-Id': correlationId,
        };
        answer = await client.request('metadata', {
          options: { headers, signal: AbortSignal.timeout(timeoutMs) },
        });
      } catch (error) {
        return classifyFailure(error, now());
      }
      if ((answer as { resourceType?: unknown }).resourceType !== 'CapabilityStatement') {
        return {
          kind: 'unavailable',
          detail: 'the proxy answered /metadata with something other than a CapabilityStatement',
          reachable: true,
        };
      }
      const statement = answer as CapabilityStatement;
      const software = statement.software?.name ? ` (${statement.software.name})` : '';
      return {
        kind: 'live',
        statement,
        detail: `the proxy answered /metadata with the receiver's CapabilityStatement${software}`,
      };
    },
  };
}
