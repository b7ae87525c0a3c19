// The DoS Search API adapter, as published in NHSDigital/ftrs-directory-of-services
// docs/specification/dos-search.yaml: one request per lookup, `GET /Organization?identifier=
// <ods-organization-code system>|<ODS>&_revinclude=Endpoint:organization`, with the headers the spec
// lists (version, X-Request-ID, X-Correlation-ID, Authorization) and no others: the API answers
// anything else 400. There is no /metadata. 429 and 5xx are retried within one time budget with
// the same X-Request-ID; 400 is final (a bug or a bad code), 401/403 mean the credentials were refused.
// It asks through strict-get.ts, not fhir-kit-client: Node's fetch adds a header the API refuses.
import type { Bundle, OperationOutcome } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { ApimAuthError, NO_CREDENTIALS, type ApimCredentials } from '../apim-credentials.ts';
import type { Environment } from '../../domain/request/schema.ts';
import { asBundle, ODS_CODE_SYSTEM, resourcesOf } from '../../domain/careconnect/dos-bundle.ts';
import { classifiableEndpoint } from '../../domain/careconnect/classify.ts';
import { getJson, HttpNetworkError, HttpStatusError } from './strict-get.ts';
import {
  DirectoryCannotAnswerError,
  DirectoryUnavailableError,
  type Directory,
  type DirectoryQuery,
} from '../../ports/directory.ts';

/** The DoS Search API takes ODS codes of 5 to 12 letters or digits (its `identifier` pattern). */
const MIN_DOS_SEARCH_ODS_CODE = 5;
/** The only `_revinclude` the API takes, and it is mandatory. */
const REVINCLUDE = 'Endpoint:organization';
/** The major version of the API we speak: the mandatory `version` header. */
const API_VERSION = '1';

/** Where the adapter reports a lookup that went wrong (pino's `warn` fits). */
export interface DirectoryLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface FhirDirectoryOptions {
  /** From configuration only: a request never chooses where ecat looks. */
  baseUrl: string;
  environment: Environment;
  /** The whole lookup's budget, retries included (DOMAIN.md asks for 5 s). */
  timeoutMs: number;
  /** API-M credentials: the DoS Search API is application-restricted (signed JWT). */
  credentials?: ApimCredentials;
  /** Retries of a 429 or 5xx answer within the budget. */
  retries?: number;
  log?: DirectoryLog;
}

const MAX_RETRY_WAIT_MS = 1000;
const FIRST_BACKOFF_MS = 150;

function statusOf(error: unknown): number | undefined {
  return error instanceof HttpStatusError ? error.status : undefined;
}

/** The OperationOutcome's diagnostics (the spec's error shape), joined; undefined without any. */
function diagnosticsOf(error: unknown): string | undefined {
  const outcome = (error instanceof HttpStatusError ? error.body : undefined) as
    Partial<OperationOutcome> | undefined;
  if (outcome?.resourceType !== 'OperationOutcome' || !Array.isArray(outcome.issue)) {
    return undefined;
  }
  const said = outcome.issue
    .map((issue) => issue.diagnostics ?? issue.details?.text ?? issue.details?.coding?.[0]?.display)
    .filter((text): text is string => typeof text === 'string' && text.trim() !== '');
  return said.length > 0 ? said.join('; ') : undefined;
}

function retryAfterMs(error: unknown, attempt: number): number {
  const header = error instanceof HttpStatusError ? error.retryAfter : undefined;
  // Only the delta-seconds form: an HTTP-date would need the clock, and the backoff is as good.
  const seconds = header === undefined ? NaN : Number(header);
  const wait =
    Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : FIRST_BACKOFF_MS * 2 ** attempt;
  return Math.min(wait, MAX_RETRY_WAIT_MS);
}

function describe(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined) {
    const said = diagnosticsOf(error);
    return said === undefined ? `HTTP ${status}` : `HTTP ${status}: ${said}`;
  }
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  if (error instanceof SyntaxError) return 'the answer was not JSON';
  if (error instanceof HttpNetworkError) return `no answer (${error.message})`;
  return (error as Error | undefined)?.message ?? String(error);
}

/** An HTTP answer, a network failure, a timeout or an unreadable body; anything else is our bug. */
function isTransportFailure(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return (
    error instanceof HttpStatusError ||
    error instanceof HttpNetworkError ||
    error instanceof SyntaxError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createFhirDirectory(options: FhirDirectoryOptions): Directory {
  // The base with a trailing slash, so the search resolves below it, not beside its last segment.
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const credentials = options.credentials ?? NO_CREDENTIALS;
  const source = `DoS Search API, ${options.environment}`;
  const retries = options.retries ?? 2;

  /** The one request of a lookup, retried on 429/5xx while the budget lasts; its Bundle. */
  async function searchOrganisation(odsCode: string, deadline: number): Promise<unknown> {
    const identifier = encodeURIComponent(`${ODS_CODE_SYSTEM}|${odsCode}`);
    const path = `Organization?identifier=${identifier}&_revinclude=${encodeURIComponent(REVINCLUDE)}`;
    // The same X-Request-ID on every retry of this request (the spec: "If you re-send a failed
    // request, use the same value"); the correlation id ties this lookup together in their logs.
    const requestId = randomUUID();
    const correlationId = randomUUID();
    const trace = { odsCode, requestId, correlationId, directory: source };
    for (let attempt = 0; ; attempt += 1) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new DirectoryUnavailableError(`${source}: no answer in time`);
      try {
        // Asked per attempt: a signed-JWT token is renewed as it nears expiry. Only its
        // Authorization is taken: the API answers any header the spec does not list 400.
        const { authorization } = await credentials.headers();
        const headers = {
          ...(authorization === undefined ? {} : { authorization }),
          // Not in the spec's list, but tolerated (organization_headers.py): says what we read.
          accept: 'application/fhir+json',
          version: API_VERSION,
          'x-request-id': requestId,
          'x-correlation-id': correlationId,
        };
        return await getJson(
          new URL(path, base),
          headers,
          AbortSignal.timeout(Math.ceil(remaining)),
        );
      } catch (error) {
        if (error instanceof ApimAuthError) {
          throw new DirectoryUnavailableError(`${source}: ${error.message}`, 'unreachable', {
            cause: error,
          });
        }
        if (!isTransportFailure(error)) throw error;
        const status = statusOf(error);
        const reason = describe(error);
        if (status === 400) {
          // A 400 is final: the same request gets the same answer. Either ecat sends something
          // the API does not take (a bug) or the ODS code is one DoS Search refuses.
          options.log?.warn({ ...trace, status, reason }, 'DoS Search refused the lookup');
          throw new DirectoryCannotAnswerError(
            `DoS Search refused to look up ODS code ${odsCode} (${source}: ${reason}), so CareConnect is not verified and will not be checked again. Please check the service's scheduling endpoint in DoS, and tell whoever runs ecat: this is a fault in ecat or in the ODS code.`,
            { cause: error },
          );
        }
        if (status === 401 || status === 403) {
          options.log?.warn({ ...trace, status, reason }, 'DoS Search refused the credentials');
          throw new DirectoryUnavailableError(`${source}: ${reason}`, 'credentials', {
            cause: error,
          });
        }
        const retryable = error instanceof HttpStatusError && error.retryable;
        const wait = retryable ? retryAfterMs(error, attempt) : 0;
        if (!retryable || attempt >= retries || performance.now() + wait >= deadline) {
          options.log?.warn(
            { ...trace, status, reason, attempts: attempt + 1 },
            'DoS Search did not answer',
          );
          throw new DirectoryUnavailableError(`${source}: ${reason}`, 'unreachable', {
            cause: error,
          });
        }
        await sleep(wait);
      }
    }
  }

  /** The Bundle, its Endpoints checked: a garbled answer is the directory's fault. */
  function readBundle(answer: unknown): Bundle {
    const bundle = asBundle(answer);
    if (!bundle) {
      throw new DirectoryUnavailableError(`${source}: the answer was not a FHIR Bundle`);
    }
    for (const endpoint of resourcesOf(bundle, 'Endpoint')) {
      const checked = classifiableEndpoint.safeParse(endpoint);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new DirectoryUnavailableError(
          `${source}: the answer held an Endpoint that is not valid FHIR (${issue?.path.join('.')}: ${issue?.message})`,
        );
      }
    }
    return bundle;
  }

  return {
    async schedulingEndpoints(query: DirectoryQuery) {
      // The request's schema allows 3–12 letters or digits; DoS Search takes 5–12.
      const odsCode = query.odsCode.trim().toUpperCase();
      if (odsCode.length < MIN_DOS_SEARCH_ODS_CODE) {
        // Never sent: the API is bound to refuse it (400), and asking again changes nothing.
        throw new DirectoryCannotAnswerError(
          `CareConnect is not verified: DoS Search only looks organisations up by ODS codes of 5 to 12 letters or digits, and ${odsCode} has ${odsCode.length}, so ecat cannot see the scheduling endpoints DoS holds for it (${source}). It will not be checked again: please make sure the service's scheduling endpoint in DoS has an ASID: (CareConnect) or ODS: (GP Connect) address.`,
        );
      }
      const deadline = performance.now() + options.timeoutMs;
      const bundle = readBundle(await searchOrganisation(odsCode, deadline));
      // Every Endpoint in the answer is the organisation's (rev-included by it); managingOrganization
      // may name another organisation (the spec says so), so it is not a filter.
      const endpoints = resourcesOf(bundle, 'Endpoint');
      const known = resourcesOf(bundle, 'Organization').length > 0;
      const subject = known
        ? `organisation ${odsCode}`
        : `ODS code ${odsCode}, which DoS Search does not know`;
      return { endpoints, source, subject };
    },
  };
}
