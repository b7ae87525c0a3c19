// The DoS Search adapter against a strict stand-in of the API as published (msw): one request per
// lookup, exactly the headers and query the spec lists, every per-organisation answer, and the
// API failing in each way it can.
import type { Endpoint } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { createFoundation } from '../src/wiring/foundation.ts';
import { ApimAuthError } from '../src/adapters/apim-credentials.ts';
import { checkCareConnect } from '../src/use-cases/check-careconnect.ts';
import type { DirectoryQuery } from '../src/ports/directory.ts';
import type { CareConnectFinding } from '../src/domain/careconnect/finding.ts';
import type { DirectoryLog } from '../src/adapters/dos-search/dos-search-directory.ts';
import { loadConfig } from '../src/wiring/config.ts';
import {
  accessToken,
  DOS_BASE as BASE,
  dosSearchAdapter,
  dosState,
  FORBIDDEN,
  invalidOdsCode,
  ODS_SYSTEM,
  referralEndpoint,
  schedulingEndpoint as scheduling,
  useDosSearchStandIn,
} from './support/dos-directory.ts';
import { ecat } from './support/ecat.ts';
import { apimCredentialsFromConfig } from '../src/wiring/apim-credentials.ts';
import { createDirectory } from '../src/wiring/directory.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const query: DirectoryQuery = { dosServiceId: '2000072489', odsCode: 'Y02494', environment: 'INT' };

// An unhandled request is a network error a retry loop could swallow, and a refused one an
// `unverified` finding a test could take for the point: either fails the test instead.
const state = dosState();
useDosSearchStandIn(state);

const tokenOne = accessToken('token-1');
const directory = (timeoutMs = 2000, credentials = tokenOne, log?: DirectoryLog) =>
  dosSearchAdapter({ timeoutMs, credentials, ...(log ? { log } : {}) });

/** Takes the refusals a test provoked on purpose, so afterEach checks only the unexpected ones. */
function takeRefused(): string[] {
  return state.refused.splice(0);
}

function capturingLog() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  const log: DirectoryLog = { warn: (fields, message) => lines.push({ fields, message }) };
  return { log, lines };
}

describe('one request per lookup, as the spec has it', () => {
  it('asks GET /Organization by ODS code with the spec’s headers and nothing else', async () => {
    state.endpoints = [scheduling('ASID:918999198993')];
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toEqual({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail:
        'DoS has a CareConnect scheduling endpoint ASID:918999198993 for organisation Y02494 (DoS Search API, INT).',
    });

    expect(state.seen).toHaveLength(1);
    const [request] = state.seen;
    expect(request!.method).toBe('GET');
    expect(request!.url.origin + request!.url.pathname).toBe(`${BASE}/Organization`);
    expect([...request!.url.searchParams]).toEqual([
      ['identifier', `${ODS_SYSTEM}|Y02494`],
      ['_revinclude', 'Endpoint:organization'],
    ]);
    // Besides the transport's own Host and (hop-by-hop) Connection, nothing the spec does not list.
    expect(Object.keys(request!.headers).sort()).toEqual([
      'accept',
      'authorization',
      'connection',
      'host',
      'version',
      'x-correlation-id',
      'x-request-id',
    ]);
    expect(request!.headers).toMatchObject({
      accept: 'application/fhir+json',
      authorization: 'Bearer token-1',
      version: '1',
      'x-request-id': expect.stringMatching(UUID) as unknown,
      'x-correlation-id': expect.stringMatching(UUID) as unknown,
    });
  });

  it('never asks /metadata, nor by the old odsOrganisationCode form, however often it is used', async () => {
    state.endpoints = [scheduling('ASID:918999198993')];
    const dos = directory();
    await Promise.all([checkCareConnect(dos, query), checkCareConnect(dos, query)]);
    await checkCareConnect(dos, { ...query, odsCode: 'a20047' });
    expect(state.seen.map((request) => request.url.pathname)).toEqual(
      Array<string>(3).fill('/dos-search/FHIR/R4/Organization'),
    );
    const identifiers = state.seen.map((request) => request.url.searchParams.get('identifier'));
    expect(identifiers).toEqual([
      `${ODS_SYSTEM}|Y02494`,
      `${ODS_SYSTEM}|Y02494`,
      `${ODS_SYSTEM}|A20047`,
    ]);
    const requestIds = new Set(state.seen.map((request) => request.headers['x-request-id']));
    expect(requestIds.size).toBe(3);
  });

  it('sends no request for an ODS code DoS Search does not take: final unverified, saying why', async () => {
    const finding = await checkCareConnect(directory(), { ...query, odsCode: 'RX1' });
    expect(finding).toMatchObject({ status: 'unverified', final: true });
    expect(finding.detail).toMatch(
      /DoS Search only looks organisations up by ODS codes of 5 to 12 letters or digits, and RX1 has 3/,
    );
    expect(finding.detail).toMatch(/will not be checked again/);
    expect(finding.detail).toMatch(/ASID: \(CareConnect\) or ODS: \(GP Connect\)/);
    expect(state.requests).toBe(0);
  });

  it('is not waived away: a final unverified is not a refusal', async () => {
    const finding = await checkCareConnect(directory(), { ...query, odsCode: 'RR8' }, 'a reason');
    expect(finding).toMatchObject({ status: 'unverified', final: true });
  });
});

describe('what an organisation’s endpoints mean (per organisation, CONTRACT.md)', () => {
  const cases: { name: string; endpoints: Endpoint[]; finding: CareConnectFinding }[] = [
    {
      name: 'finds GP Connect when only ODS: endpoints are there',
      endpoints: [scheduling('ODS:Y02494')],
      finding: {
        status: 'gpconnect',
        address: 'ODS:Y02494',
        detail:
          'DoS has a GP Connect scheduling endpoint ODS:Y02494 but no CareConnect (ASID:) one for organisation Y02494 (DoS Search API, INT).',
      },
    },
    {
      name: 'calls two ASIDs at one organisation careconnect, listing both in DoS’s order',
      endpoints: [
        scheduling('ASID:918999198998', {}, { order: 2 }),
        scheduling('ASID:918999198997', {}, { order: 1 }),
      ],
      finding: {
        status: 'careconnect',
        address: 'ASID:918999198997',
        detail:
          'DoS has 2 CareConnect scheduling endpoints, ASID:918999198997 and ASID:918999198998, for organisation Y02494 (DoS Search API, INT).',
      },
    },
    {
      name: 'calls malformed only when scheduling endpoints exist and none would work',
      endpoints: [
        scheduling('918999198993'),
        scheduling('ASID:918999198995', { status: 'off' }, { order: 2 }),
        scheduling('ASID:918999198996', {}, { order: 3, scenario: 'copy-recipient' }),
      ],
      finding: {
        status: 'malformed',
        address: '918999198993',
        detail:
          "DoS has 3 scheduling endpoints for organisation Y02494 and none would work: '918999198993' without the ASID: or ODS: prefix; 'ASID:918999198995' with status 'off', not active; 'ASID:918999198996' as a copy recipient, not the primary recipient (DoS Search API, INT); CareConnect booking will not work until one is fixed.",
      },
    },
  ];
  for (const { name, endpoints, finding } of cases) {
    it(name, async () => {
      state.endpoints = endpoints;
      expect(await checkCareConnect(directory(), query)).toEqual(finding);
    });
  }

  it('lists GP Connect and unusable ones beside CareConnect', async () => {
    state.endpoints = [
      referralEndpoint(1),
      scheduling('ODS:Y02494', {}, { order: 2 }),
      scheduling('ASID:918999198993', {}, { order: 3 }),
      scheduling('918999198994', {}, { order: 4 }),
    ];
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toMatchObject({ status: 'careconnect', address: 'ASID:918999198993' });
    expect(finding.detail).toBe(
      "DoS has a CareConnect scheduling endpoint ASID:918999198993 for organisation Y02494 (DoS Search API, INT). It also has GP Connect: ODS:Y02494. Not usable: '918999198994' without the ASID: or ODS: prefix.",
    );
  });

  it('counts an endpoint whose managingOrganization is another organisation: the API rev-included it', async () => {
    state.endpoints = [
      scheduling('ASID:918999198993', { managingOrganization: { reference: 'Organization/x' } }),
    ];
    expect((await checkCareConnect(directory(), query)).status).toBe('careconnect');
  });

  it('calls an organisation with no scheduling endpoint, or none at all, missing', async () => {
    state.endpoints = [referralEndpoint()];
    expect(await checkCareConnect(directory(), query)).toEqual({
      status: 'missing',
      detail:
        'DoS has no scheduling endpoint for organisation Y02494 (DoS Search API, INT), so neither CareConnect nor GP Connect booking is configured.',
    });
    state.endpoints = [];
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
  });

  it('calls an ODS code DoS does not know missing, saying so', async () => {
    state.organisations = { A20047: [scheduling('ODS:A20047')] };
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('missing');
    expect(finding.detail).toContain('for ODS code Y02494, which DoS Search does not know');
  });

  it('waives a malformed configuration when the request gives a reason', async () => {
    state.endpoints = [scheduling('ASID:1', { status: 'off' })];
    const finding = await checkCareConnect(directory(), query, 'Being fixed by the DoS team');
    expect(finding).toMatchObject({ status: 'waived', address: 'ASID:1' });
    expect(finding.detail).toMatch(
      /not active.*Waived by the requester: "Being fixed by the DoS team"/,
    );
  });
});

describe('the API refusing the lookup', () => {
  it('puts a 400’s diagnostics in the detail and the log: final, not "directory down", not retried', async () => {
    state.respond = () => ({ status: 400, body: invalidOdsCode('Y0249X') });
    const { log, lines } = capturingLog();
    const finding = await checkCareConnect(directory(2000, tokenOne, log), query);
    expect(finding).toMatchObject({ status: 'unverified', final: true });
    expect(finding.detail).toContain(
      "DoS Search refused to look up ODS code Y02494 (DoS Search API, INT: HTTP 400: Invalid identifier value: ODS code 'Y0249X' must follow format ^[A-Za-z0-9]{5,12}$)",
    );
    expect(finding.detail).not.toMatch(/could not be reached/);
    expect(state.requests).toBe(1);
    expect(lines).toEqual([
      {
        message: 'DoS Search refused the lookup',
        fields: expect.objectContaining({
          status: 400,
          odsCode: 'Y02494',
          requestId: state.seen[0]!.headers['x-request-id'],
          reason: expect.stringContaining("ODS code 'Y0249X' must follow format") as unknown,
        }) as unknown,
      },
    ]);
  });

  it('says the credentials were refused on a 401 (no bearer token), without retrying', async () => {
    const none = apimCredentialsFromConfig({}, () => new Date());
    const { log, lines } = capturingLog();
    const finding = await checkCareConnect(directory(2000, none, log), query);
    expect(takeRefused()).toEqual(['401 Invalid or missing authentication token']);
    expect(finding.status).toBe('unverified');
    expect(finding.final).toBeUndefined();
    expect(finding.detail).toBe(
      "The directory refused ecat's API-M credentials (DoS Search API, INT: HTTP 401: Invalid or missing authentication token); CareConnect will be checked again before the email is sent. Whoever runs ecat should check its API-M application's access to DoS Search.",
    );
    expect(state.requests).toBe(1);
    expect(lines[0]).toMatchObject({
      message: 'DoS Search refused the credentials',
      fields: { status: 401 },
    });
  });

  it('says the credentials were refused on a 403', async () => {
    state.respond = () => ({ status: 403, body: FORBIDDEN });
    const finding = await checkCareConnect(directory(), query);
    expect(finding.detail).toMatch(
      /^The directory refused ecat's API-M credentials \(DoS Search API, INT: HTTP 403: Insufficient permissions/,
    );
    expect(state.requests).toBe(1);
  });

  it('calls a lookup unverified, asking nothing, when no API-M token can be had', async () => {
    const noToken = {
      kind: 'signed JWT (key id k1)',
      headers: () =>
        Promise.reject(new ApimAuthError('the API-M token endpoint answered HTTP 401')),
    };
    const finding = await checkCareConnect(directory(2000, noToken), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toContain('the API-M token endpoint answered HTTP 401');
    expect(state.requests).toBe(0);
  });
});

describe('a directory that cannot answer now', () => {
  it('retries a 429 with the same X-Request-ID, honouring Retry-After, and then answers', async () => {
    state.endpoints = [scheduling('ASID:918999198993')];
    state.respond = (n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '0' }, body: undefined } : undefined;
    expect((await checkCareConnect(directory(), query)).status).toBe('careconnect');
    expect(state.requests).toBe(2);
    const [first, second] = state.seen.map((request) => request.headers);
    expect(second!['x-request-id']).toBe(first!['x-request-id']);
    expect(second!['x-correlation-id']).toBe(first!['x-correlation-id']);
  });

  it('caps a long Retry-After so the retry stays within the budget', async () => {
    state.endpoints = [scheduling('ODS:Y02494')];
    state.respond = (n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '120' }, text: 'busy' } : undefined;
    expect((await checkCareConnect(directory(2000), query)).status).toBe('gpconnect');
    expect(state.requests).toBe(2);
  });

  it('calls a directory that keeps answering 503 unverified, after two retries of one request', async () => {
    state.respond = () => ({ status: 503, text: 'Service Unavailable' });
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toEqual({
      status: 'unverified',
      detail:
        'The directory could not be reached (DoS Search API, INT: HTTP 503); CareConnect will be checked again before the email is sent.',
    });
    expect(state.requests).toBe(3);
    expect(new Set(state.seen.map((request) => request.headers['x-request-id'])).size).toBe(1);
  });

  it('keeps a 500’s OperationOutcome diagnostics in the detail', async () => {
    state.respond = () => ({
      status: 500,
      body: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'fatal', code: 'exception', diagnostics: 'Internal server error' }],
      },
    });
    expect((await checkCareConnect(directory(), query)).detail).toContain(
      'HTTP 500: Internal server error',
    );
  });

  it('calls a directory that answers 429 for ever unverified', async () => {
    state.respond = () => ({ status: 429 });
    expect((await checkCareConnect(directory(), query)).detail).toMatch(/HTTP 429/);
  });

  it('calls a directory that hangs unverified within the timeout', async () => {
    state.respond = () => 'hang';
    const finding = await checkCareConnect(directory(300), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/no answer in time/);
  });

  it('calls a network failure unverified, and asks again next time', async () => {
    state.up = false;
    const dos = directory();
    expect((await checkCareConnect(dos, query)).status).toBe('unverified');
    state.up = true;
    state.endpoints = [scheduling('ASID:918999198993')];
    expect((await checkCareConnect(dos, query)).status).toBe('careconnect');
  });

  it.each([
    ['garbage JSON', { status: 200, text: '{"resourceType": "Bund' }, /the answer was not JSON/],
    [
      'an HTML error page',
      { status: 200, text: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } },
      /the answer was not JSON/,
    ],
    [
      'JSON that is not a Bundle',
      { status: 200, body: { resourceType: 'OperationOutcome', issue: [] } },
      /not a FHIR Bundle/,
    ],
    [
      'a Bundle holding a garbled Endpoint',
      {
        status: 200,
        body: {
          resourceType: 'Bundle',
          type: 'searchset',
          entry: [{ resource: { ...scheduling('ASID:1'), address: 918999198993 } }],
        },
      },
      /Endpoint that is not valid FHIR \(address: /,
    ],
  ])('calls %s unverified, not a crash', async (_name, answer, detail) => {
    state.respond = () => answer;
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(detail);
  });

  it('calls a 404 unverified, not missing: the base URL is wrong, not the organisation', async () => {
    const elsewhere = dosSearchAdapter({ base: `${BASE}/wrong`, credentials: tokenOne });
    const finding = await checkCareConnect(elsewhere, query);
    expect(takeRefused()).toEqual([
      '404 No such resource: GET /dos-search/FHIR/R4/wrong/Organization',
    ]);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/HTTP 404/);
    expect(state.requests).toBe(1);
  });
});

describe('createDirectory', () => {
  it('asks the DoS API for an environment with a URL, and the snapshot for the other', async () => {
    state.endpoints = [scheduling('ODS:Y02494')];
    const dos = await createDirectory(
      { urls: { INT: BASE }, snapshotFile: 'config/directory.json', timeoutMs: 2000 },
      tokenOne,
    );
    expect(await checkCareConnect(dos, query)).toMatchObject({
      status: 'gpconnect',
      detail: expect.stringContaining('(DoS Search API, INT)') as unknown,
    });
    expect(state.requests).toBe(1);
    expect(await checkCareConnect(dos, { ...query, environment: 'PROD' })).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: expect.stringContaining('(DoS snapshot)') as unknown,
    });
    expect(state.requests).toBe(1);
  });

  it('does not read the snapshot when every environment has a URL', async () => {
    await expect(
      createDirectory({
        urls: { INT: BASE, PROD: 'https://api.service.nhs.uk/dos-search/FHIR/R4' },
        snapshotFile: 'config/no-such-snapshot.json',
        timeoutMs: 2000,
      }),
    ).resolves.toBeDefined();
  });

  it('sends the API-M access token from configuration', async () => {
    state.endpoints = [scheduling('ASID:918999198993')];
    state.tokens = ['token-from-config'];
    const config = loadConfig({ DIRECTORY_URL_INT: BASE, APIM_ACCESS_TOKEN: 'token-from-config' });
    const { directory: dos } = await createFoundation(config);
    expect((await checkCareConnect(dos, query)).status).toBe('careconnect');
    expect(state.seen.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-from-config',
    ]);
  });

  it('refuses APIM_API_KEY on its own: both NHS APIs answer an API key alone 401', async () => {
    const config = loadConfig({ DIRECTORY_URL_INT: BASE, APIM_API_KEY: 'key-from-config' });
    await expect(createFoundation(config)).rejects.toThrow(
      'APIM_API_KEY alone is refused by the DoS Search API and the BaRS proxy (401): the signed-JWT flow needs APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID and APIM_TOKEN_URL (or set APIM_ACCESS_TOKEN instead)',
    );
    expect(state.requests).toBe(0);
  });

  it.each([
    ['validate', { DIRECTORY_URL_INT: BASE }],
    [
      'worker',
      { CATALOGUE_URL_INT: 'https://int.api.service.nhs.uk/booking-and-referral/FHIR/R4' },
    ],
  ])('ecat %s stops with exit 2 and one line on APIM_API_KEY alone', async (command, urls) => {
    const args = command === 'worker' ? ['worker'] : [command, 'config/example-request.json'];
    const run = await ecat(args, { REDIS_URL: 'redis://127.0.0.1:1', APIM_API_KEY: 'k', ...urls });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'ecat: configuration: APIM_API_KEY alone is refused by the DoS Search API and the BaRS proxy (401): the signed-JWT flow needs APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID and APIM_TOKEN_URL (or set APIM_ACCESS_TOKEN instead)',
    ]);
    expect(state.requests).toBe(0);
  });

  it('stops on a snapshot it cannot read when some environment needs it', async () => {
    await expect(
      createDirectory({
        urls: { INT: BASE },
        snapshotFile: 'config/no-such-snapshot.json',
        timeoutMs: 2000,
      }),
    ).rejects.toThrow(/cannot read the DoS snapshot config\/no-such-snapshot.json/);
  });
});

// The stand-in must refuse what the API refuses, or the tests above prove nothing.
describe('the stand-in itself, asked by hand', () => {
  const good = {
    authorization: 'Bearer token-1',
    version: '1',
    'x-request-id': '60E0B220-8136-4CA5-AE46-1D97EF59D068',
  };
  const search = `${BASE}/Organization?identifier=${encodeURIComponent(`${ODS_SYSTEM}|Y02494`)}&_revinclude=Endpoint:organization`;
  const ask = async (url: string, headers: Record<string, string>) => {
    const response = await fetch(url, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const diagnostics = (body: Record<string, unknown>) =>
    (body.issue as { diagnostics: string }[]).map((issue) => issue.diagnostics);

  it('answers a request as the spec shapes it with a searchset Bundle', async () => {
    state.endpoints = [scheduling('ASID:918999198993'), referralEndpoint()];
    const { status, body } = await ask(search, good);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: { resourceType: 'Organization' }, search: { mode: 'match' } },
        { resource: { resourceType: 'Endpoint' }, search: { mode: 'include' } },
        { resource: { resourceType: 'Endpoint' }, search: { mode: 'include' } },
      ],
    });
  });

  it.each([
    [
      'the old odsOrganisationCode identifier',
      `${BASE}/Organization?identifier=odsOrganisationCode|Y02494&_revinclude=Endpoint:organization`,
      good,
      "Invalid identifier system 'odsOrganisationCode' - expected 'https://fhir.nhs.uk/Id/ods-organization-code'",
    ],
    [
      'a 3-character ODS code',
      search.replace('Y02494', 'RX1'),
      good,
      "Invalid identifier value: ODS code 'RX1' must follow format ^[A-Za-z0-9]{5,12}$",
    ],
    [
      'no version header',
      search,
      { ...good, version: undefined },
      "Missing required header(s): 'version'",
    ],
    [
      'version 2',
      search,
      { ...good, version: '2' },
      "Invalid version found in supplied headers: version must be '1'",
    ],
    [
      'no X-Request-ID',
      search,
      { ...good, 'x-request-id': undefined },
      "Missing required header(s): 'x-request-id'",
    ],
    [
      'an X-Request-ID that is not a UUID',
      search,
      { ...good, 'x-request-id': 'req-1' },
      "Invalid X-Request-ID header 'req-1': must be a UUID",
    ],
    [
      'a traceparent header',
      search,
      { ...good, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      'Unexpected header(s): traceparent.',
    ],
    ['an apikey header', search, { ...good, apikey: 'k' }, 'Unexpected header(s): apikey.'],
    [
      'a query parameter the spec does not list',
      `${search}&_include=HealthcareService:endpoint`,
      good,
      "Unexpected query parameter(s): _include. Only 'identifier' and '_revinclude' are allowed.",
    ],
    [
      'no _revinclude',
      search.replace('&_revinclude=Endpoint:organization', ''),
      good,
      "Missing required query parameter(s): '_revinclude'",
    ],
  ])('refuses %s with 400 and the spec’s OperationOutcome', async (_name, url, headers, said) => {
    const sent = Object.fromEntries(
      Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const { status, body } = await ask(url, sent);
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(diagnostics(body)).toEqual([said]);
    expect(body.issue).toEqual([
      expect.objectContaining({
        severity: 'error',
        details: {
          coding: [expect.objectContaining({ system: expect.any(String) as unknown }) as unknown],
        },
      }),
    ]);
    expect(takeRefused()).toEqual([`400 ${said}`]);
  });

  it('answers /metadata 404 and a request without a bearer token 401', async () => {
    expect((await ask(`${BASE}/metadata`, good)).status).toBe(404);
    const { status, body } = await ask(search, { ...good, authorization: 'apikey k' });
    expect(status).toBe(401);
    expect(diagnostics(body)).toEqual(['Invalid or missing authentication token']);
    expect(takeRefused()).toHaveLength(2);
  });
});
