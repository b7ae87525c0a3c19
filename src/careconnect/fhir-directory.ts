// The DoS FHIR adapter (fhir-kit-client): asks the directory's CapabilityStatement once, then
// searches HealthcareService by dos-service-id where supported, else today's DoS Search API
// route, Organization by ODS code with its Endpoints (DOMAIN.md). Within one time budget, 429 and
// 5xx are retried briefly; anything else that is not an answer makes the directory "unavailable".
import { CapabilityTool, Client } from 'fhir-kit-client';
import type { Bundle, Endpoint } from 'fhir/r4.js';
import { ApimAuthError, NO_CREDENTIALS, type ApimCredentials } from '../apim-credentials.ts';
import type { Environment } from '../request/schema.ts';
import {
  asBundle,
  DOS_SERVICE_ID_SYSTEM,
  endpointsOfOrganisation,
  endpointsOfService,
  hasIdentifier,
  resourcesOf,
} from './bundle.ts';
import { classifiableEndpoint } from './classify.ts';
import { DirectoryUnavailableError, type Directory, type DirectoryQuery } from './directory.ts';

export interface FhirDirectoryOptions {
  /** From configuration only: a request never chooses where ecat looks. */
  baseUrl: string;
  environment: Environment;
  /** The whole lookup's budget, retries included (DOMAIN.md asks for 5 s). */
  timeoutMs: number;
  /** API-M credentials: the DoS Search API is application-restricted. */
  credentials?: ApimCredentials;
  /** Retries of a 429 or 5xx answer within the budget. */
  retries?: number;
}

/** What fhir-kit-client puts on the Error it throws for an HTTP answer it will not return. */
interface HttpFailure {
  response?: { status?: number };
  config?: { headers?: Headers };
}

const MAX_RETRY_WAIT_MS = 1000;
const FIRST_BACKOFF_MS = 150;

function statusOf(error: unknown): number | undefined {
  return (error as HttpFailure | undefined)?.response?.status;
}

function retryAfterMs(error: unknown, attempt: number): number {
  const header = (error as HttpFailure).config?.headers?.get?.('retry-after');
  // Only the delta-seconds form: an HTTP-date would need the clock, and the backoff is as good.
  const seconds = header === null || header === undefined ? NaN : Number(header);
  const wait =
    Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : FIRST_BACKOFF_MS * 2 ** attempt;
  return Math.min(wait, MAX_RETRY_WAIT_MS);
}

function describe(error: unknown): string {
  const status = statusOf(error);
  // fhir-kit-client reports an unparseable body with the (successful) status it came with.
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
  const client = new Client({ baseUrl: options.baseUrl });
  const credentials = options.credentials ?? NO_CREDENTIALS;
  const source = `DoS Search API, ${options.environment}`;
  const retries = options.retries ?? 2;
  let searchByServiceId: Promise<boolean> | undefined;

  const unavailable = (reason: string, cause?: unknown) =>
    new DirectoryUnavailableError(`${source}: ${reason}`, cause === undefined ? {} : { cause });

  /**
   * One GET within the lookup's deadline, retrying 429/5xx while time remains. A 404 answers
   * `undefined` when the caller allows it (a search that found nothing), else it is a failure.
   */
  async function get(path: string, deadline: number, notFoundIsEmpty = false): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw unavailable('no answer in time');
      try {
        // Asked per request: a signed-JWT token is renewed as it nears expiry.
        const headers = { ...(await credentials.headers()), accept: 'application/fhir+json' };
        return await client.request(path, {
          options: { headers, signal: AbortSignal.timeout(Math.ceil(remaining)) },
        });
      } catch (error) {
        if (error instanceof ApimAuthError) throw unavailable(error.message, error);
        if (!isTransportFailure(error)) throw error;
        const status = statusOf(error);
        if (status === 404 && notFoundIsEmpty) return undefined;
        const retryable = status === 429 || (status !== undefined && status >= 500);
        const wait = retryable ? retryAfterMs(error, attempt) : 0;
        if (!retryable || attempt >= retries || performance.now() + wait >= deadline) {
          throw unavailable(describe(error), error);
        }
        await sleep(wait);
      }
    }
  }

  /** A search's Bundle, its Endpoints checked: a garbled answer is the directory's fault. */
  async function search(path: string, deadline: number): Promise<Bundle> {
    const answer = await get(path, deadline, true);
    if (answer === undefined) return { resourceType: 'Bundle', type: 'searchset' };
    const bundle = asBundle(answer);
    if (!bundle) throw unavailable('the answer was not a FHIR Bundle');
    for (const endpoint of resourcesOf(bundle, 'Endpoint')) {
      const checked = classifiableEndpoint.safeParse(endpoint);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw unavailable(
          `the answer held an Endpoint that is not valid FHIR (${issue?.path.join('.')}: ${issue?.message})`,
        );
      }
    }
    return bundle;
  }

  async function readCapability(deadline: number): Promise<boolean> {
    const statement = await get('metadata', deadline);
    if ((statement as { resourceType?: unknown }).resourceType !== 'CapabilityStatement') {
      throw unavailable('/metadata is not a CapabilityStatement');
    }
    return new CapabilityTool(
      statement as ConstructorParameters<typeof CapabilityTool>[0],
    ).resourceSearch('HealthcareService', 'identifier');
  }

  /** Read once and shared by concurrent lookups; a failed read is tried again next time. */
  function supportsServiceIdSearch(deadline: number): Promise<boolean> {
    if (searchByServiceId === undefined) {
      const reading = readCapability(deadline);
      searchByServiceId = reading;
      reading.catch(() => {
        if (searchByServiceId === reading) searchByServiceId = undefined;
      });
    }
    return searchByServiceId;
  }

  async function byServiceId(query: DirectoryQuery, deadline: number): Promise<Endpoint[]> {
    const identifier = encodeURIComponent(`${DOS_SERVICE_ID_SYSTEM}|${query.dosServiceId}`);
    const bundle = await search(
      `HealthcareService?identifier=${identifier}&_include=HealthcareService:endpoint`,
      deadline,
    );
    const service = resourcesOf(bundle, 'HealthcareService').find((candidate) =>
      hasIdentifier(candidate.identifier, DOS_SERVICE_ID_SYSTEM, query.dosServiceId),
    );
    return service ? endpointsOfService(bundle, service) : [];
  }

  async function byOdsCode(query: DirectoryQuery, deadline: number): Promise<Endpoint[]> {
    // `odsOrganisationCode` is the DoS Search API's own identifier system name, not a URL.
    const identifier = encodeURIComponent(`odsOrganisationCode|${query.odsCode}`);
    const bundle = await search(
      `Organization?identifier=${identifier}&_revinclude=Endpoint:organization`,
      deadline,
    );
    // The Search API's Endpoints reference their Organization by id; the ODS code is on it. When
    // the answer omits the Organization, every Endpoint in it is the searched one's anyway.
    const endpoints = endpointsOfOrganisation(bundle, query.odsCode);
    return endpoints.length > 0 ? endpoints : resourcesOf(bundle, 'Endpoint');
  }

  return {
    async schedulingEndpoints(query: DirectoryQuery) {
      const deadline = performance.now() + options.timeoutMs;
      const endpoints = (await supportsServiceIdSearch(deadline))
        ? await byServiceId(query, deadline)
        : await byOdsCode(query, deadline);
      return { endpoints, source };
    },
  };
}
