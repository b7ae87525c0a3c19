import type { Bundle, CapabilityStatement, Endpoint } from 'fhir/r4.js';
import { http, HttpResponse, delay } from 'msw';
import { setupServer } from 'msw/node';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkCareConnect } from '../src/careconnect/check.ts';
import { classifySchedulingEndpoints } from '../src/careconnect/classify.ts';
import type { DirectoryQuery } from '../src/careconnect/directory.ts';
import { createFhirDirectory } from '../src/careconnect/fhir-directory.ts';
import { createSnapshotDirectory } from '../src/careconnect/snapshot-directory.ts';

const BASE = 'https://int.api.service.nhs.uk/dos-search/FHIR/R4';
const EXT = 'https://fhir.nhs.uk/England/StructureDefinition/';

function scheduling(
  address: string,
  overrides: Partial<Endpoint> = {},
  scenario = 'primary-recipient',
): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: `ep-${address.replace(/\W/g, '')}`,
    status: 'active',
    extension: [
      { url: `${EXT}Extension-England-OrganizationEndpointOrder`, valueInteger: 1 },
      { url: `${EXT}Extension-England-EndpointCompression`, valueBoolean: false },
      { url: `${EXT}Extension-England-EndpointBusinessScenario`, valueCode: scenario },
    ],
    connectionType: {
      system: 'https://fhir.nhs.uk/England/CodeSystem/England-EndpointConnection',
      code: 'http',
    },
    managingOrganization: { reference: 'Organization/org-1' },
    payloadType: [{ coding: [{ code: 'scheduling' }] }],
    payloadMimeType: ['application/fhir+json'],
    address,
    ...overrides,
  };
}

const query: DirectoryQuery = { dosServiceId: '2000072489', odsCode: 'Y02494', environment: 'INT' };

describe('classifying scheduling endpoints', () => {
  const classify = (endpoints: Endpoint[]) => classifySchedulingEndpoints(endpoints, 'test');

  it('recognises CareConnect and GP Connect', () => {
    expect(classify([scheduling('ASID:918999198993')])).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
    });
    expect(classify([scheduling('ODS:A20047')])).toMatchObject({
      status: 'gpconnect',
      address: 'ODS:A20047',
    });
  });

  it('calls none missing, ignoring endpoints that are not for scheduling', () => {
    const other = scheduling('https://x.nhs.uk', {
      payloadType: [{ coding: [{ code: 'referral' }] }],
    });
    expect(classify([]).status).toBe('missing');
    expect(classify([other]).status).toBe('missing');
  });

  it.each([
    ['no prefix', [scheduling('918999198993')], /without the ASID: or ODS: prefix/],
    ['inactive', [scheduling('ASID:918999198993', { status: 'off' })], /not active/],
    ['copy-recipient', [scheduling('ASID:918999198993', {}, 'copy-recipient')], /copy recipient/],
    ['several', [scheduling('ASID:1'), scheduling('ASID:2')], /2 scheduling endpoints/],
  ])('calls %s malformed', (_name, endpoints, detail) => {
    const finding = classify(endpoints);
    expect(finding.status).toBe('malformed');
    expect(finding.detail).toMatch(detail);
  });
});

describe('the snapshot directory (config/directory.json)', () => {
  const directory = createSnapshotDirectory(
    JSON.parse(readFileSync('config/directory.json', 'utf8')),
  );
  const check = (dosServiceId: string, odsCode: string, waiver?: string) =>
    checkCareConnect(directory, { dosServiceId, odsCode, environment: 'INT' }, waiver);

  it.each([
    ['2000072489', 'Y02494', 'careconnect', 'ASID:918999198993'],
    ['2000011147', 'A20047', 'gpconnect', 'ODS:A20047'],
    ['1374839566', 'RR8', 'missing', undefined],
    ['2000099001', 'Y09001', 'malformed', '918999198994'],
    ['2000099002', 'Y09002', 'malformed', 'ASID:918999198995'],
    ['2000099003', 'Y09003', 'malformed', 'ASID:918999198996'],
    ['2000099004', 'Y09004', 'malformed', 'ASID:918999198997'],
  ])('finds service %s (%s) %s', async (id, ods, status, address) => {
    const finding = await check(id, ods);
    expect(finding.status).toBe(status);
    expect(finding.address).toBe(address);
  });

  it('falls back to the organisation when the service is not in the snapshot', async () => {
    expect((await check('2000000001', 'Y02494')).status).toBe('careconnect');
  });

  it('turns missing into waived with a waiver, keeping what was found', async () => {
    const finding = await check('1374839566', 'RR8', 'ED does not take direct bookings');
    expect(finding.status).toBe('waived');
    expect(finding.detail).toMatch(
      /no scheduling endpoint.*Waived by the requester: "ED does not take direct bookings"/,
    );
  });

  it('refuses a file that is not a FHIR Bundle', () => {
    expect(() => createSnapshotDirectory({ resourceType: 'Patient' })).toThrow(/not a FHIR Bundle/);
  });
});

describe('the DoS FHIR directory, through msw', () => {
  const server = setupServer();
  const unhandled: string[] = [];
  const seen: URL[] = [];
  server.events.on('request:unhandled', ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`);
  });
  server.events.on('request:start', ({ request }) => {
    seen.push(new URL(request.url));
  });

  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    server.resetHandlers();
    expect(unhandled).toEqual([]);
    seen.length = 0;
  });
  afterAll(() => server.close());

  const capability = (searchServiceById: boolean): CapabilityStatement => ({
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        resource: [
          { type: 'Organization', searchParam: [{ name: 'identifier', type: 'token' }] },
          ...(searchServiceById
            ? [
                {
                  type: 'HealthcareService',
                  searchParam: [{ name: 'identifier', type: 'token' as const }],
                },
              ]
            : []),
        ],
      },
    ],
  });

  const organisationBundle = (...endpoints: Endpoint[]): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [
      {
        resource: {
          resourceType: 'Organization',
          id: 'org-1',
          identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y02494' }],
        },
      },
      ...endpoints.map((resource) => ({ resource, search: { mode: 'include' as const } })),
    ],
  });

  const metadata = (searchServiceById = false) =>
    http.get(`${BASE}/metadata`, () => HttpResponse.json(capability(searchServiceById)));
  const organisation = (...endpoints: Endpoint[]) =>
    http.get(`${BASE}/Organization`, () => HttpResponse.json(organisationBundle(...endpoints)));
  const directory = (timeoutMs = 2000) =>
    createFhirDirectory({ baseUrl: BASE, environment: 'INT', timeoutMs, accessToken: 'token-1' });

  it('finds CareConnect through Organization?identifier=odsOrganisationCode|… with _revinclude', async () => {
    server.use(metadata(), organisation(scheduling('ASID:918999198993')));
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toMatchObject({ status: 'careconnect', address: 'ASID:918999198993' });
    expect(finding.detail).toContain('DoS FHIR API (INT)');
    const search = seen.find((url) => url.pathname.endsWith('/Organization'))!;
    expect(search.searchParams.get('identifier')).toBe('odsOrganisationCode|Y02494');
    expect(search.searchParams.get('_revinclude')).toBe('Endpoint:organization');
  });

  it('searches HealthcareService by dos-service-id when the server supports it', async () => {
    server.use(
      metadata(true),
      http.get(`${BASE}/HealthcareService`, ({ request }) => {
        const identifier = new URL(request.url).searchParams.get('identifier');
        expect(identifier).toBe('https://fhir.nhs.uk/Id/dos-service-id|2000072489');
        return HttpResponse.json({
          resourceType: 'Bundle',
          type: 'searchset',
          entry: [
            {
              resource: {
                resourceType: 'HealthcareService',
                id: 'hs-1',
                identifier: [
                  { system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2000072489' },
                ],
                endpoint: [{ reference: 'Endpoint/ep-ODSA20047' }],
              },
            },
            { resource: scheduling('ODS:A20047') },
          ],
        });
      }),
    );
    expect(await checkCareConnect(directory(), query)).toMatchObject({
      status: 'gpconnect',
      address: 'ODS:A20047',
    });
    expect(
      seen.find((url) => url.pathname.endsWith('/HealthcareService'))?.searchParams.get('_include'),
    ).toBe('HealthcareService:endpoint');
  });

  it('sends the API-M access token', async () => {
    let authorization: string | null = null;
    server.use(
      http.get(`${BASE}/metadata`, ({ request }) => {
        authorization = request.headers.get('authorization');
        return HttpResponse.json(capability(false));
      }),
      organisation(),
    );
    await checkCareConnect(directory(), query);
    expect(authorization).toBe('Bearer token-1');
  });

  it('calls an empty answer missing, and a prefix-less address malformed', async () => {
    server.use(metadata(), organisation());
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
    server.use(organisation(scheduling('918999198993')));
    expect((await checkCareConnect(directory(), query)).status).toBe('malformed');
  });

  it('waives a malformed configuration when the request gives a reason', async () => {
    server.use(metadata(), organisation(scheduling('ASID:1', { status: 'suspended' })));
    const finding = await checkCareConnect(directory(), query, 'Being fixed by the DoS team');
    expect(finding).toMatchObject({ status: 'waived', address: 'ASID:1' });
  });

  it('retries a 429 and then answers', async () => {
    let calls = 0;
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () => {
        calls += 1;
        return calls === 1
          ? new HttpResponse(null, { status: 429, headers: { 'Retry-After': '0' } })
          : HttpResponse.json(organisationBundle(scheduling('ASID:918999198993')));
      }),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('careconnect');
    expect(calls).toBe(2);
  });

  it('calls a directory that keeps answering 503 unverified, after retrying', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/metadata`, () => {
        calls += 1;
        return new HttpResponse('unavailable', { status: 503 });
      }),
    );
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/HTTP 503.*checked again before the email is sent/);
    expect(calls).toBe(3);
  });

  it('calls a directory that answers 429 for ever unverified', async () => {
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () => new HttpResponse(null, { status: 429 })),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('unverified');
  });

  it('calls a directory that hangs unverified within the timeout', async () => {
    server.use(
      http.get(`${BASE}/metadata`, async () => {
        await delay('infinite');
        return HttpResponse.json({});
      }),
    );
    const started = performance.now();
    const finding = await checkCareConnect(directory(300), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/no answer in time/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('calls garbage JSON and a network failure unverified', async () => {
    server.use(
      metadata(),
      http.get(
        `${BASE}/Organization`,
        () => new HttpResponse('{"resourceType": "Bund', { status: 200 }),
      ),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('unverified');
    server.use(
      http.get(`${BASE}/Organization`, () =>
        HttpResponse.json({ resourceType: 'OperationOutcome' }),
      ),
    );
    expect((await checkCareConnect(directory(), query)).detail).toMatch(/not a FHIR Bundle/);
    server.use(http.get(`${BASE}/Organization`, () => HttpResponse.error()));
    expect((await checkCareConnect(directory(), query)).status).toBe('unverified');
  });
});
