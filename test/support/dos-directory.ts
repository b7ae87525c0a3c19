// The DoS Search API as published, strictly — the one NHS service we may not call from tests —
// as msw handlers (`dosDirectory`) and as a real HTTP server on loopback (`startDosSearchServer`).
// Both judge a request the same way (`answerDosSearch`), after NHSDigital/ftrs-directory-of-services
// docs/specification/dos-search.yaml and services/dos-search/functions (organization_headers.py,
// organization_query_params.py, error_util.py, endpoint_mapper.py, bundle_mapper.py):
// - only `GET /Organization`; anything else (there is no /metadata) is 404;
// - no `Authorization: Bearer …` is 401 (API-M; the API is application-restricted);
// - the `version: 1` and `X-Request-ID` (a UUID) headers are mandatory, `X-Correlation-ID` optional,
//   and any other header is 400 but the few standard ones the API tolerates (Accept …);
// - exactly `identifier=https://fhir.nhs.uk/Id/ods-organization-code|<5–12 alphanumerics>` and
//   `_revinclude=Endpoint:organization`; anything else is 400;
// - every 400 is an OperationOutcome shaped as the spec's examples;
// - the answer is a searchset Bundle: the Organization (match) and its Endpoints (include).
// Every request a stand-in refuses is noted in `state.refused`: a test that expects none asserts
// it is empty, so an adapter drifting from the spec fails even where it would call the answer
// `unverified` and carry on.
import type { Bundle, BundleEntry, Endpoint, OperationOutcome, Organization } from 'fhir/r4.js';
import { delay, http, HttpResponse } from 'msw';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { ApimCredentials } from '../../src/adapters/apim-credentials.ts';
import {
  createFhirDirectory,
  type DirectoryLog,
} from '../../src/adapters/dos-search/dos-search-directory.ts';
import { apimCredentialsFromConfig } from '../../src/wiring/apim-credentials.ts';
import { useMsw } from './msw.ts';

export const DOS_BASE = 'https://int.api.service.nhs.uk/dos-search/FHIR/R4';
export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const EXT = 'https://fhir.nhs.uk/England/StructureDefinition/';
const PAYLOAD_TYPE_SYSTEM = 'http://hl7.org/fhir/ValueSet/endpoint-payload-type';
const CONNECTION_SYSTEM = 'https://fhir.nhs.uk/England/CodeSystem/England-EndpointConnection';

/** The headers the spec lists for GET /Organization. */
const SPEC_HEADERS = ['authorization', 'version', 'x-request-id', 'x-correlation-id'];
/**
 * Standard headers the API tolerates though the spec does not list them (OrganizationHeaders in
 * organization_headers.py; its APIM tests send them). fhir-kit-client sends `accept` on every request.
 */
const TOLERATED_HEADERS = [
  'accept',
  'accept-encoding',
  'accept-language',
  'content-type',
  'host',
  'user-agent',
];
/**
 * What Node's HTTP client adds on the wire: `connection` is hop-by-hop, so no proxy passes it on
 * to the API's header check. (Node's fetch would add `sec-fetch-mode` too, which the API refuses:
 * the adapter does not use fetch, and this stand-in refuses it like any unlisted header.)
 */
const HOP_BY_HOP_HEADERS = ['connection'];
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ODS_CODE = /^[A-Za-z0-9]{5,12}$/;
const QUERY_PARAMETERS = ['identifier', '_revinclude'];

const REC_BAD_REQUEST = {
  system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-SpineErrorOrWarningCode',
  version: '1.0.0',
  code: 'REC_BAD_REQUEST',
  display: '400: The Receiver was unable to process the request.',
};
const INVALID_SEARCH_DATA = {
  system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-SpineErrorOrWarningCode',
  version: '1.0.0',
  code: 'INVALID_SEARCH_DATA',
  display: 'Invalid search data',
};

type Issue = OperationOutcome['issue'][number];

function issue(code: Issue['code'], diagnostics: string, coding?: typeof REC_BAD_REQUEST): Issue {
  return {
    severity: 'error',
    code,
    ...(coding === undefined ? {} : { details: { coding: [coding] } }),
    diagnostics,
  };
}

export function operationOutcome(...issues: Issue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The spec's 401 (responses.Unauthorized). */
export const UNAUTHORIZED = operationOutcome({
  severity: 'error',
  code: 'security',
  diagnostics: 'Invalid or missing authentication token',
  details: {
    coding: [
      {
        system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode',
        version: '1',
        code: 'UNAUTHORIZED',
        display: 'Unauthorized',
      },
    ],
  },
});

/** The spec's 403. */
export const FORBIDDEN = operationOutcome({
  severity: 'error',
  code: 'forbidden',
  diagnostics: 'Insufficient permissions to access this resource',
  details: {
    coding: [
      {
        system: 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode',
        version: '1',
        code: 'FORBIDDEN',
        display: 'Forbidden',
      },
    ],
  },
});

/** The spec's 400 for an ODS code it does not take (components.examples.InvalidIdentifierValue). */
export function invalidOdsCode(odsCode: string): OperationOutcome {
  return operationOutcome(
    issue(
      'value',
      `Invalid identifier value: ODS code '${odsCode}' must follow format ^[A-Za-z0-9]{5,12}$`,
      INVALID_SEARCH_DATA,
    ),
  );
}

/**
 * A DoS scheduling Endpoint as the API's endpoint_mapper.py writes one: `ASID:…` is CareConnect,
 * `ODS:…` GP Connect (DOMAIN.md). `managingOrganization` is filled in by the stand-in.
 */
export function schedulingEndpoint(
  address: string,
  overrides: Partial<Endpoint> = {},
  {
    order = 1,
    scenario = 'primary-recipient',
  }: { order?: number; /** null: no business scenario at all */ scenario?: string | null } = {},
): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: randomUUID(),
    extension: [
      { url: `${EXT}Extension-England-OrganizationEndpointOrder`, valueInteger: order },
      { url: `${EXT}Extension-England-EndpointCompression`, valueBoolean: false },
      ...(scenario === null
        ? []
        : [{ url: `${EXT}Extension-England-EndpointBusinessScenario`, valueCode: scenario }]),
    ],
    status: 'active',
    connectionType: { system: CONNECTION_SYSTEM, code: 'http' },
    payloadType: [{ coding: [{ system: PAYLOAD_TYPE_SYSTEM, code: 'scheduling' }] }],
    payloadMimeType: ['application/fhir'],
    address,
    ...overrides,
  };
}

/** An ITK referral Endpoint (NHS 111 CDA): an organisation's other kind, never a booking one. */
export function referralEndpoint(order = 2): Endpoint {
  return schedulingEndpoint(
    'https://itk.example-provider.nhs.uk/receive',
    {
      connectionType: { system: CONNECTION_SYSTEM, code: 'itk' },
      payloadType: [
        {
          coding: [
            {
              system: PAYLOAD_TYPE_SYSTEM,
              code: 'urn:nhs-itk:interaction:primaryEmergencyDepartmentRecipientNHS111CDADocument-v2-0',
            },
          ],
        },
      ],
      payloadMimeType: ['application/hl7-cda+xml'],
    },
    { order },
  );
}

/** A request as a stand-in saw it: header names lower-cased. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** When it arrived (performance.now()). */
  at?: number;
}

/** What a test may make the stand-in answer instead, once a request has passed its checks. */
export type ForcedAnswer =
  | { status: number; body?: unknown; text?: string; headers?: Record<string, string> }
  | 'hang'
  | 'network-error';

export interface DosDirectoryState {
  /** false: every request fails at the network level (the directory is unreachable). */
  up: boolean;
  /** The Endpoints of every organisation, unless `organisations` is set. */
  endpoints: Endpoint[];
  /** When set: the organisations DoS knows, by ODS code; any other code finds nothing. */
  organisations?: Record<string, Endpoint[]>;
  /** When set: the only bearer tokens API-M accepts; any token otherwise. */
  tokens?: string[];
  /** Answers the n-th request (1-based) that passed every check in its own way, or not (undefined). */
  respond?: (n: number, request: SeenRequest) => ForcedAnswer | undefined;
  /** Requests that reached the stand-in. */
  requests: number;
  seen: SeenRequest[];
  /** Why each refused request was refused (`400 Unexpected header(s): foo.`). */
  refused: string[];
}

export function dosState(state: Partial<DosDirectoryState> = {}): DosDirectoryState {
  return { up: true, endpoints: [], requests: 0, seen: [], refused: [], ...state };
}

/** Requests per state that passed every check: what `respond` counts. */
const passedChecks = new WeakMap<DosDirectoryState, number>();

/** Back to a fresh state, in place (handlers keep their reference). */
export function resetDosState(state: DosDirectoryState, to: Partial<DosDirectoryState> = {}): void {
  delete state.organisations;
  delete state.tokens;
  delete state.respond;
  Object.assign(state, dosState(to));
  passedChecks.delete(state);
}

type Answer = { status: number; body: unknown; text?: string; headers?: Record<string, string> };

function searchset(url: URL, odsCode: string, state: DosDirectoryState): Bundle {
  const endpoints = state.organisations ? state.organisations[odsCode] : state.endpoints;
  const base = url.href.slice(0, url.href.indexOf('/Organization'));
  const self = `${base}/Organization?identifier=${ODS_SYSTEM}|${odsCode}&_revinclude=Endpoint:organization`;
  if (endpoints === undefined) {
    return {
      resourceType: 'Bundle',
      id: randomUUID(),
      type: 'searchset',
      link: [{ relation: 'self', url: self }],
      entry: [],
    };
  }
  const organisation: Organization = {
    resourceType: 'Organization',
    id: randomUUID(),
    identifier: [{ use: 'official', system: ODS_SYSTEM, value: odsCode }],
    active: true,
    name: `Organisation ${odsCode}`,
  };
  const entry: BundleEntry[] = [
    {
      fullUrl: `${base}/Organization/${organisation.id}`,
      resource: organisation,
      search: { mode: 'match' },
    },
    ...endpoints.map((endpoint) => ({
      fullUrl: `${base}/Endpoint/${endpoint.id}`,
      resource: {
        ...endpoint,
        managingOrganization: endpoint.managingOrganization ?? {
          reference: `Organization/${organisation.id}`,
        },
      },
      search: { mode: 'include' as const },
    })),
  ];
  return {
    resourceType: 'Bundle',
    id: randomUUID(),
    type: 'searchset',
    link: [{ relation: 'self', url: self }],
    entry,
  };
}

function headerIssues(headers: Record<string, string>): Issue[] {
  const allowed = new Set([...SPEC_HEADERS, ...TOLERATED_HEADERS, ...HOP_BY_HOP_HEADERS]);
  const issues: Issue[] = [];
  const missing = ['version', 'x-request-id'].filter((name) => headers[name] === undefined);
  if (missing.length > 0) {
    const names = missing.map((name) => `'${name}'`).join(', ');
    issues.push(issue('required', `Missing required header(s): ${names}`, REC_BAD_REQUEST));
  }
  const unexpected = Object.keys(headers).filter((name) => !allowed.has(name));
  if (unexpected.length > 0) {
    issues.push(issue('value', `Unexpected header(s): ${unexpected.join(', ')}.`, REC_BAD_REQUEST));
  }
  if (headers.version !== undefined && headers.version.trim() !== '1') {
    const said = "Invalid version found in supplied headers: version must be '1'";
    issues.push(issue('value', said, REC_BAD_REQUEST));
  }
  const requestId = headers['x-request-id'];
  if (requestId !== undefined && !UUID.test(requestId)) {
    const said = `Invalid X-Request-ID header '${requestId}': must be a UUID`;
    issues.push(issue('value', said, REC_BAD_REQUEST));
  }
  return issues;
}

function queryIssues(query: URLSearchParams): Issue[] {
  const names = [...new Set(query.keys())];
  const missing = QUERY_PARAMETERS.filter((name) => !query.has(name));
  if (missing.length > 0) {
    const said = `Missing required query parameter(s): ${missing.map((n) => `'${n}'`).join(', ')}`;
    return [issue('required', said, INVALID_SEARCH_DATA)];
  }
  const unexpected = names.filter((name) => !QUERY_PARAMETERS.includes(name));
  if (unexpected.length > 0) {
    const said = `Unexpected query parameter(s): ${unexpected.join(', ')}. Only 'identifier' and '_revinclude' are allowed.`;
    return [issue('value', said, INVALID_SEARCH_DATA)];
  }
  const issues: Issue[] = [];
  for (const identifier of query.getAll('identifier')) {
    const bar = identifier.indexOf('|');
    const system = bar < 0 ? '' : identifier.slice(0, bar);
    const value = bar < 0 ? '' : identifier.slice(bar + 1).toUpperCase();
    if (system !== ODS_SYSTEM) {
      const said = `Invalid identifier system '${system}' - expected '${ODS_SYSTEM}'`;
      issues.push(issue('code-invalid', said, INVALID_SEARCH_DATA));
    } else if (!ODS_CODE.test(value)) {
      issues.push(...invalidOdsCode(value).issue);
    }
  }
  for (const revinclude of query.getAll('_revinclude')) {
    if (revinclude !== 'Endpoint:organization') {
      const said =
        "The request is missing the '_revinclude=Endpoint:organization' parameter, which is required to include linked Endpoint resources.";
      issues.push(issue('value', said, INVALID_SEARCH_DATA));
    }
  }
  return issues;
}

/** How the DoS Search API answers one request: checks in the order API-M and the API make them. */
export function answerDosSearch(
  request: SeenRequest,
  state: DosDirectoryState,
  basePath: string,
): Answer | 'hang' | 'network-error' {
  state.requests += 1;
  state.seen.push(request);
  if (!state.up) return 'network-error';
  const refuse = (status: number, body: OperationOutcome): Answer => {
    state.refused.push(`${status} ${body.issue.map((i) => i.diagnostics).join(' ')}`);
    return { status, body };
  };
  const path = request.url.pathname.slice(basePath.length);
  if (request.method !== 'GET' || path !== '/Organization') {
    const said = `No such resource: ${request.method} ${request.url.pathname}`;
    return refuse(
      404,
      operationOutcome({ severity: 'error', code: 'not-found', diagnostics: said }),
    );
  }
  const token = /^Bearer ([\x21-\x7e]+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (token === undefined || (state.tokens !== undefined && !state.tokens.includes(token))) {
    return refuse(401, UNAUTHORIZED);
  }
  const headers = headerIssues(request.headers);
  if (headers.length > 0) return refuse(400, operationOutcome(...headers));
  const query = queryIssues(request.url.searchParams);
  if (query.length > 0) return refuse(400, operationOutcome(...query));

  const passed = (passedChecks.get(state) ?? 0) + 1;
  passedChecks.set(state, passed);
  const forced = state.respond?.(passed, request);
  if (forced === 'hang' || forced === 'network-error') return forced;
  if (forced !== undefined) return { body: undefined, ...forced };
  const odsCode = (request.url.searchParams.get('identifier') ?? '').split('|')[1]!.toUpperCase();
  return { status: 200, body: searchset(request.url, odsCode, state) };
}

/** The response headers: FHIR JSON, and the request's ids mirrored back (the spec says so). */
function responseHeaders(request: SeenRequest, answer: Answer): Record<string, string> {
  const mirrored: Record<string, string> = {};
  for (const name of ['x-request-id', 'x-correlation-id']) {
    const value = request.headers[name];
    if (value !== undefined) mirrored[name] = value;
  }
  return { 'content-type': 'application/fhir+json', ...mirrored, ...answer.headers };
}

function bodyOf(answer: Answer): string | null {
  if (answer.text !== undefined) return answer.text;
  return answer.body === undefined ? null : JSON.stringify(answer.body);
}

/** Handlers for `setupServer(...)`; change `state` to take the directory down or bring it back. */
export function dosDirectory(state: DosDirectoryState, base = DOS_BASE) {
  const basePath = new URL(base).pathname;
  return [
    http.all(`${base}/*`, async ({ request }) => {
      const seen: SeenRequest = {
        method: request.method,
        url: new URL(request.url),
        headers: Object.fromEntries(request.headers.entries()),
        at: performance.now(),
      };
      const answer = answerDosSearch(seen, state, basePath);
      if (answer === 'network-error') return HttpResponse.error();
      if (answer === 'hang') {
        await delay('infinite');
        return HttpResponse.error();
      }
      return new HttpResponse(bodyOf(answer), {
        status: answer.status,
        headers: responseHeaders(seen, answer),
      });
    }),
  ];
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

export interface DosSearchServer {
  /** The API's base URL on loopback, e.g. http://127.0.0.1:41234/dos-search/FHIR/R4. */
  base: string;
  close(): Promise<void>;
}

/** The same stand-in as a real HTTP server on a free loopback port (node:http, port 0). */
export async function startDosSearchServer(
  state: DosDirectoryState,
  basePath = '/dos-search/FHIR/R4',
): Promise<DosSearchServer> {
  const server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
      headers: flatHeaders(req.headers),
      at: performance.now(),
    };
    const answer = answerDosSearch(seen, state, basePath);
    if (answer === 'network-error') {
      req.socket.destroy();
      return;
    }
    if (answer === 'hang') return;
    res.writeHead(answer.status, responseHeaders(seen, answer));
    res.end(bodyOf(answer) ?? undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${basePath}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

/**
 * After a test: the refusals it left in `state.refused` (taken out), and the state put back to
 * `to`. A test that provokes a refusal on purpose takes it itself (`state.refused.splice(0)`), so
 * what is left is one nobody expected: the stand-in refuses what the API refuses (400/401/404),
 * and a refused request is an `unverified` finding a test could take for the point.
 */
export function settleDosState(
  state: DosDirectoryState,
  to: Partial<DosDirectoryState> = {},
): string[] {
  const refused = state.refused.splice(0);
  resetDosState(state, to);
  return refused;
}

export interface DosStandInOptions {
  /** Where the stand-in answers (DOS_BASE). */
  base?: string;
  /** What the state goes back to after each test (a fresh `dosState()`). */
  resetTo?: Partial<DosDirectoryState>;
  /** Keep the state from test to test (the refusals are still checked). */
  keepState?: boolean;
}

/**
 * The stand-in through msw for the file (or describe block) this is called in: after each test,
 * no unhandled request and no refused one (`settleDosState`), and the state fresh again.
 */
export function useDosSearchStandIn(
  state: DosDirectoryState,
  { base = DOS_BASE, resetTo = {}, keepState = false }: DosStandInOptions = {},
) {
  return useMsw(dosDirectory(state, base), {
    afterEachTest: () => ({
      refused: keepState ? state.refused.splice(0) : settleDosState(state, resetTo),
    }),
  });
}

/** API-M credentials that send this access token (`APIM_ACCESS_TOKEN`). */
export function accessToken(token: string): ApimCredentials {
  return apimCredentialsFromConfig({ accessToken: token }, () => new Date());
}

export interface DosAdapterOptions {
  /** The API's base URL (DOS_BASE). */
  base?: string;
  /** The lookup's whole budget (2 s). */
  timeoutMs?: number;
  /** An access token (`token-1`), or credentials of any kind. */
  credentials?: string | ApimCredentials;
  log?: DirectoryLog;
}

/** The DoS Search adapter for INT, as ecat builds it, pointed at a stand-in. */
export function dosSearchAdapter({
  base = DOS_BASE,
  timeoutMs = 2000,
  credentials = 'token-1',
  log,
}: DosAdapterOptions = {}) {
  return createFhirDirectory({
    baseUrl: base,
    environment: 'INT',
    timeoutMs,
    credentials: typeof credentials === 'string' ? accessToken(credentials) : credentials,
    ...(log ? { log } : {}),
  });
}
