// The DoS FHIR adapter (fhir-kit-client): asks the directory's CapabilityStatement once, then
// searches HealthcareService by dos-service-id where supported, else today's DoS Search API
// route, Organization by ODS code with its Endpoints (DOMAIN.md). Within one time budget, 429 and
// 5xx are retried briefly; anything else that is not an answer makes the directory "unavailable".
import { CapabilityTool, Client } from 'fhir-kit-client';
import type { Bundle } from 'fhir/r4.js';
import type { Environment } from '../request/schema.ts';
import {
  asBundle,
  DOS_SERVICE_ID_SYSTEM,
  endpointsOfOrganisation,
  endpointsOfService,
  hasIdentifier,
  resourcesOf,
} from './bundle.ts';
import { DirectoryUnavailableError, type Directory, type DirectoryQuery } from './directory.ts';

export interface FhirDirectoryOptions {
  baseUrl: string;
  environment: Environment;
  /** The whole lookup's budget, retries included (DOMAIN.md asks for 5 s). */
  timeoutMs: number;
  accessToken?: string;
  apiKey?: string;
  /** Retries of a 429 or 5xx answer within the budget. */
  retries?: number;
}

interface HttpFailure {
  response?: { status?: number };
  config?: { headers?: Headers };
}

const MAX_RETRY_WAIT_MS = 1000;

function statusOf(error: unknown): number | undefined {
  return (error as HttpFailure | undefined)?.response?.status;
}

function retryAfterMs(error: unknown, attempt: number): number {
  const header = (error as HttpFailure).config?.headers?.get?.('retry-after');
  const seconds = header === null || header === undefined ? NaN : Number(header);
  const wait = Number.isFinite(seconds) ? seconds * 1000 : 150 * 2 ** attempt;
  return Math.min(wait, MAX_RETRY_WAIT_MS);
}

function describe(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined && status < 300) return 'the answer was not JSON';
  if (status !== undefined) return `HTTP ${status}`;
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  if (error instanceof SyntaxError) return 'the answer was not JSON';
  return (error as Error | undefined)?.message ?? String(error);
}

/** An HTTP answer, a network failure, a timeout or an unreadable body; anything else is our bug. */
function isTransportFailure(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return (
    statusOf(error) !== undefined ||
    error instanceof TypeError ||
    error instanceof SyntaxError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createFhirDirectory(options: FhirDirectoryOptions): Directory {
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  if (options.accessToken) headers.authorization = `Bearer ${options.accessToken}`;
  if (options.apiKey) headers.apikey = options.apiKey;
  const client = new Client({ baseUrl: options.baseUrl, customHeaders: headers });
  const source = `DoS FHIR API (${options.environment})`;
  const retries = options.retries ?? 2;
  let searchByServiceId: boolean | undefined;

  /** One GET within the lookup's deadline, retrying 429/5xx while time remains. */
  async function get(path: string, deadline: number): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new DirectoryUnavailableError(`${source}: no answer in time`);
      try {
        return await client.request(path, {
          options: { signal: AbortSignal.timeout(Math.ceil(remaining)) },
        });
      } catch (error) {
        if (!isTransportFailure(error)) throw error;
        const status = statusOf(error);
        const retryable = status === 429 || (status !== undefined && status >= 500);
        const wait = retryable ? retryAfterMs(error, attempt) : 0;
        if (!retryable || attempt >= retries || performance.now() + wait >= deadline) {
          throw new DirectoryUnavailableError(`${source}: ${describe(error)}`, { cause: error });
        }
        await sleep(wait);
      }
    }
  }

  async function bundleAt(path: string, deadline: number): Promise<Bundle> {
    const bundle = asBundle(await get(path, deadline));
    if (!bundle) throw new DirectoryUnavailableError(`${source}: the answer was not a FHIR Bundle`);
    return bundle;
  }

  async function supportsServiceIdSearch(deadline: number): Promise<boolean> {
    if (searchByServiceId === undefined) {
      const statement = await get('metadata', deadline);
      if ((statement as { resourceType?: unknown }).resourceType !== 'CapabilityStatement') {
        throw new DirectoryUnavailableError(`${source}: /metadata is not a CapabilityStatement`);
      }
      searchByServiceId = new CapabilityTool(
        statement as ConstructorParameters<typeof CapabilityTool>[0],
      ).resourceSearch('HealthcareService', 'identifier');
    }
    return searchByServiceId;
  }

  return {
    async schedulingEndpoints(query: DirectoryQuery) {
      const deadline = performance.now() + options.timeoutMs;
      if (await supportsServiceIdSearch(deadline)) {
        const identifier = encodeURIComponent(`${DOS_SERVICE_ID_SYSTEM}|${query.dosServiceId}`);
        const bundle = await bundleAt(
          `HealthcareService?identifier=${identifier}&_include=HealthcareService:endpoint`,
          deadline,
        );
        const service = resourcesOf(bundle, 'HealthcareService').find((candidate) =>
          hasIdentifier(candidate.identifier, DOS_SERVICE_ID_SYSTEM, query.dosServiceId),
        );
        return { endpoints: service ? endpointsOfService(bundle, service) : [], source };
      }
      const ods = encodeURIComponent(`odsOrganisationCode|${query.odsCode}`);
      const bundle = await bundleAt(
        `Organization?identifier=${ods}&_revinclude=Endpoint:organization`,
        deadline,
      );
      // The Search API's Endpoints reference their Organization by id; the ODS code is on it.
      const endpoints = endpointsOfOrganisation(bundle, query.odsCode);
      return {
        endpoints: endpoints.length > 0 ? endpoints : resourcesOf(bundle, 'Endpoint'),
        source,
      };
    },
  };
}
