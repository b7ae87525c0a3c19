// The DoS FHIR adapter against a mocked DoS Search API (msw): both search routes, every finding,
// and the directory failing in each way we know of.
import type { Bundle, BundleEntry, CapabilityStatement, Endpoint, FhirResource } from 'fhir/r4.js';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFoundation } from '../src/app.ts';
import { ApimAuthError, apimCredentialsFromConfig } from '../src/apim-credentials.ts';
import { checkCareConnect } from '../src/careconnect/check.ts';
import { createDirectory } from '../src/careconnect/create-directory.ts';
import type { DirectoryQuery } from '../src/careconnect/directory.ts';
import { createFhirDirectory } from '../src/careconnect/fhir-directory.ts';
import { loadConfig } from '../src/config.ts';

const BASE = 'https://int.api.service.nhs.uk/dos-search/FHIR/R4';
const EXT = 'https://fhir.nhs.uk/England/StructureDefinition/';
const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
const DOS_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';

const query: DirectoryQuery = { dosServiceId: '2000072489', odsCode: 'Y02494', environment: 'INT' };

function scheduling(address: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: `ep-${address.replace(/\W/g, '')}`,
    status: 'active',
    extension: [
      { url: `${EXT}Extension-England-OrganizationEndpointOrder`, valueInteger: 1 },
      { url: `${EXT}Extension-England-EndpointCompression`, valueBoolean: false },
      { url: `${EXT}Extension-England-EndpointBusinessScenario`, valueCode: 'primary-recipient' },
    ],
    connectionType: {
      system: 'https://fhir.nhs.uk/England/CodeSystem/England-EndpointConnection',
      code: 'http',
    },
    managingOrganization: { reference: 'Organization/org-y02494' },
    payloadType: [{ coding: [{ code: 'scheduling' }] }],
    payloadMimeType: ['application/fhir+json'],
    address,
    ...overrides,
  };
}

function capability(searchServiceById: boolean): CapabilityStatement {
  const token = 'token' as const;
  return {
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
          {
            type: 'Organization',
            interaction: [{ code: 'search-type' }],
            searchParam: [{ name: 'identifier', type: token }],
          },
          {
            type: 'HealthcareService',
            interaction: [{ code: 'search-type' }],
            searchParam: searchServiceById
              ? [{ name: 'identifier', type: token }]
              : [{ name: 'organization', type: 'reference' }],
          },
        ],
      },
    ],
  };
}

function searchset(...resources: FhirResource[]): Bundle {
  const entry: BundleEntry[] = resources.map((resource) => ({
    fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`,
    resource,
    search: { mode: resource.resourceType === 'Endpoint' ? 'include' : 'match' },
  }));
  return { resourceType: 'Bundle', type: 'searchset', total: resources.length, entry };
}

/** Today's DoS Search API answer: the Organization and, rev-included, its Endpoints. */
const organisationAnswer = (...endpoints: Endpoint[]) =>
  searchset(
    {
      resourceType: 'Organization',
      id: 'org-y02494',
      identifier: [{ system: ODS_SYSTEM, value: 'Y02494' }],
      name: 'Example Primary Care Network',
    },
    ...endpoints,
  );

const server = setupServer();
const unhandled: string[] = [];
const seen: Request[] = [];
server.events.on('request:unhandled', ({ request }) => {
  unhandled.push(`${request.method} ${request.url}`);
});
server.events.on('request:start', ({ request }) => {
  seen.push(request.clone());
});

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  seen.length = 0;
  unhandled.length = 0;
});
afterEach(() => {
  server.resetHandlers();
  // An unhandled request is a network error a retry loop could swallow: fail the test instead.
  expect(unhandled).toEqual([]);
});
afterAll(() => server.close());

const urlsOf = (path: string) =>
  seen
    .map((request) => new URL(request.url))
    .filter((url) => url.pathname === `/dos-search/FHIR/R4/${path}`);

const metadata = (searchServiceById = false) =>
  http.get(`${BASE}/metadata`, () => HttpResponse.json(capability(searchServiceById)));
const organisation = (...endpoints: Endpoint[]) =>
  http.get(`${BASE}/Organization`, () => HttpResponse.json(organisationAnswer(...endpoints)));

const tokenOne = apimCredentialsFromConfig({ accessToken: 'token-1' }, () => new Date());
const directory = (timeoutMs = 2000, credentials = tokenOne) =>
  createFhirDirectory({ baseUrl: BASE, environment: 'INT', timeoutMs, credentials });

describe('searching Organization by ODS code (today’s DoS Search API)', () => {
  it('finds CareConnect, asking with the right query parameters and credentials', async () => {
    server.use(metadata(false), organisation(scheduling('ASID:918999198993')));
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toEqual({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: 'DoS has a CareConnect scheduling endpoint ASID:918999198993 (DoS Search API, INT).',
    });

    const [search, ...more] = urlsOf('Organization');
    expect(more).toEqual([]);
    expect(search?.searchParams.get('identifier')).toBe('odsOrganisationCode|Y02494');
    expect(search?.searchParams.get('_revinclude')).toBe('Endpoint:organization');
    expect(urlsOf('HealthcareService')).toEqual([]);
    for (const request of seen) {
      expect(request.method).toBe('GET');
      expect(request.headers.get('authorization')).toBe('Bearer token-1');
      expect(request.headers.get('accept')).toBe('application/fhir+json');
    }
  });

  it('finds GP Connect', async () => {
    server.use(metadata(false), organisation(scheduling('ODS:Y02494')));
    expect(await checkCareConnect(directory(), query)).toMatchObject({
      status: 'gpconnect',
      address: 'ODS:Y02494',
    });
  });

  it('calls an empty bundle missing: no endpoints is an answer', async () => {
    server.use(
      metadata(false),
      http.get(`${BASE}/Organization`, () =>
        HttpResponse.json({ resourceType: 'Bundle', type: 'searchset', total: 0 }),
      ),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
  });

  it('calls an organisation with no scheduling endpoint missing', async () => {
    const referral = scheduling('https://itk.example.nhs.uk', {
      payloadType: [{ coding: [{ code: 'urn:nhs-itk:interaction:primaryRecipient' }] }],
    });
    server.use(metadata(false), organisation(referral));
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
  });

  it('calls a 404 from the search missing, not unreachable', async () => {
    server.use(
      metadata(false),
      http.get(`${BASE}/Organization`, () =>
        HttpResponse.json(
          {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'not-found' }],
          },
          { status: 404 },
        ),
      ),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
  });

  it('calls a prefix-less address, and several endpoints, malformed', async () => {
    server.use(metadata(false), organisation(scheduling('918999198993')));
    expect(await checkCareConnect(directory(), query)).toMatchObject({
      status: 'malformed',
      address: '918999198993',
    });
    server.use(organisation(scheduling('ASID:1'), scheduling('ASID:2')));
    expect((await checkCareConnect(directory(), query)).detail).toMatch(/2 scheduling endpoints/);
  });

  it('waives a malformed configuration when the request gives a reason', async () => {
    server.use(metadata(false), organisation(scheduling('ASID:1', { status: 'suspended' })));
    const finding = await checkCareConnect(directory(), query, 'Being fixed by the DoS team');
    expect(finding).toMatchObject({ status: 'waived', address: 'ASID:1' });
    expect(finding.detail).toMatch(
      /not active.*Waived by the requester: "Being fixed by the DoS team"/,
    );
  });

  it('reads the CapabilityStatement once per directory', async () => {
    server.use(metadata(false), organisation(scheduling('ASID:918999198993')));
    const dos = directory();
    await Promise.all([checkCareConnect(dos, query), checkCareConnect(dos, query)]);
    await checkCareConnect(dos, query);
    expect(urlsOf('metadata')).toHaveLength(1);
    expect(urlsOf('Organization')).toHaveLength(3);
  });
});

describe('searching HealthcareService by DoS Service ID (where the server supports it)', () => {
  const service = (...endpoints: Endpoint[]) =>
    http.get(`${BASE}/HealthcareService`, () =>
      HttpResponse.json(
        searchset(
          {
            resourceType: 'HealthcareService',
            id: 'hs-2000072489',
            identifier: [{ system: DOS_SYSTEM, value: '2000072489' }],
            name: 'Example Urgent Treatment Centre',
            endpoint: endpoints.map((endpoint) => ({ reference: `Endpoint/${endpoint.id}` })),
          },
          ...endpoints,
        ),
      ),
    );

  it('finds the service’s endpoints, asking with the right query parameters', async () => {
    server.use(metadata(true), service(scheduling('ASID:918999198993')));
    expect(await checkCareConnect(directory(), query)).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
    });
    const [search, ...more] = urlsOf('HealthcareService');
    expect(more).toEqual([]);
    expect(search?.searchParams.get('identifier')).toBe(`${DOS_SYSTEM}|2000072489`);
    expect(search?.searchParams.get('_include')).toBe('HealthcareService:endpoint');
    expect(urlsOf('Organization')).toEqual([]);
  });

  it('calls a service without endpoints, or no such service, missing', async () => {
    server.use(metadata(true), service());
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
    server.use(http.get(`${BASE}/HealthcareService`, () => HttpResponse.json(searchset())));
    expect((await checkCareConnect(directory(), query)).status).toBe('missing');
  });
});

describe('a directory that cannot answer', () => {
  it('retries a 429, honouring Retry-After, and then answers', async () => {
    let calls = 0;
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () => {
        calls += 1;
        return calls === 1
          ? new HttpResponse(null, { status: 429, headers: { 'Retry-After': '0' } })
          : HttpResponse.json(organisationAnswer(scheduling('ASID:918999198993')));
      }),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('careconnect');
    expect(calls).toBe(2);
  });

  it('caps a long Retry-After so the retry stays within the budget', async () => {
    let calls = 0;
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () => {
        calls += 1;
        return calls === 1
          ? new HttpResponse(null, { status: 503, headers: { 'Retry-After': '120' } })
          : HttpResponse.json(organisationAnswer(scheduling('ODS:Y02494')));
      }),
    );
    const started = performance.now();
    expect((await checkCareConnect(directory(2000), query)).status).toBe('gpconnect');
    expect(performance.now() - started).toBeLessThan(1800);
  });

  it('calls a directory that keeps answering 503 unverified, after two retries', async () => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/metadata`, () => {
        calls += 1;
        return new HttpResponse('Service Unavailable', { status: 503 });
      }),
    );
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toEqual({
      status: 'unverified',
      detail:
        'The directory could not be reached (DoS Search API, INT: HTTP 503); CareConnect will be checked again before the email is sent.',
    });
    expect(calls).toBe(3);
  });

  it('calls a directory that answers 429 for ever unverified', async () => {
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () => new HttpResponse(null, { status: 429 })),
    );
    expect((await checkCareConnect(directory(), query)).detail).toMatch(/HTTP 429/);
  });

  it('calls a directory that hangs unverified within the timeout', async () => {
    server.use(
      http.get(`${BASE}/metadata`, async () => {
        await delay('infinite');
        return HttpResponse.json(capability(false));
      }),
    );
    const started = performance.now();
    const finding = await checkCareConnect(directory(300), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/no answer in time/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('keeps retries within the timeout: a slow 503 is not retried past it', async () => {
    server.use(
      http.get(`${BASE}/metadata`, async () => {
        await delay(200);
        return new HttpResponse(null, { status: 503 });
      }),
    );
    const started = performance.now();
    expect((await checkCareConnect(directory(300), query)).status).toBe('unverified');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('calls garbage JSON unverified', async () => {
    server.use(
      metadata(),
      http.get(
        `${BASE}/Organization`,
        () => new HttpResponse('{"resourceType": "Bund', { status: 200 }),
      ),
    );
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/the answer was not JSON/);
  });

  it('calls an HTML error page unverified', async () => {
    server.use(
      http.get(`${BASE}/metadata`, () =>
        HttpResponse.html('<html><body>Bad gateway</body></html>'),
      ),
    );
    expect((await checkCareConnect(directory(), query)).status).toBe('unverified');
  });

  it('calls JSON that is not FHIR unverified', async () => {
    server.use(http.get(`${BASE}/metadata`, () => HttpResponse.json({ hello: 'world' })));
    expect((await checkCareConnect(directory(), query)).detail).toMatch(
      /not a CapabilityStatement/,
    );
    server.use(
      metadata(),
      http.get(`${BASE}/Organization`, () =>
        HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }),
      ),
    );
    expect((await checkCareConnect(directory(), query)).detail).toMatch(/not a FHIR Bundle/);
  });

  it('calls a bundle holding a garbled Endpoint unverified, not a crash', async () => {
    const garbled = { ...scheduling('ASID:1'), address: 918999198993 } as unknown as Endpoint;
    server.use(metadata(), organisation(garbled));
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('unverified');
    expect(finding.detail).toMatch(/Endpoint that is not valid FHIR \(address: /);
  });

  it.each([[400], [401], [403]])('calls HTTP %s unverified without retrying', async (status) => {
    let calls = 0;
    server.use(
      http.get(`${BASE}/metadata`, () => {
        calls += 1;
        return HttpResponse.json({ resourceType: 'OperationOutcome' }, { status });
      }),
    );
    expect((await checkCareConnect(directory(), query)).detail).toContain(`HTTP ${status}`);
    expect(calls).toBe(1);
  });

  it('calls a 404 for /metadata unverified: the base URL is wrong, not the service', async () => {
    server.use(http.get(`${BASE}/metadata`, () => new HttpResponse(null, { status: 404 })));
    expect((await checkCareConnect(directory(), query)).status).toBe('unverified');
  });

  it('calls a network failure unverified, and asks for the CapabilityStatement again next time', async () => {
    server.use(http.get(`${BASE}/metadata`, () => HttpResponse.error()));
    const dos = directory();
    expect((await checkCareConnect(dos, query)).status).toBe('unverified');
    server.use(metadata(), organisation(scheduling('ASID:918999198993')));
    expect((await checkCareConnect(dos, query)).status).toBe('careconnect');
  });
});

describe('createDirectory', () => {
  it('asks the DoS API for an environment with a URL, and the snapshot for the other', async () => {
    server.use(metadata(), organisation(scheduling('ODS:Y02494')));
    const dos = await createDirectory({
      urls: { INT: BASE },
      snapshotFile: 'config/directory.json',
      timeoutMs: 2000,
    });
    expect(await checkCareConnect(dos, query)).toMatchObject({
      status: 'gpconnect',
      detail: expect.stringContaining('(DoS Search API, INT)'),
    });
    expect(seen).toHaveLength(2);
    expect(await checkCareConnect(dos, { ...query, environment: 'PROD' })).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: expect.stringContaining('DoS snapshot config/directory.json'),
    });
    expect(seen).toHaveLength(2);
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

  it('sends the API-M credentials from configuration with every directory request', async () => {
    server.use(metadata(), organisation(scheduling('ASID:918999198993')));
    const config = loadConfig({ DIRECTORY_URL_INT: BASE, APIM_API_KEY: 'key-from-config' });
    const { directory: dos } = await createFoundation(config);
    expect((await checkCareConnect(dos, query)).status).toBe('careconnect');
    expect(seen).toHaveLength(2);
    for (const request of seen) expect(request.headers.get('apikey')).toBe('key-from-config');
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
    expect(seen).toEqual([]);
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
