// The DoS Search adapter over real HTTP: the strict stand-in of the published API as a node:http
// server on loopback (no msw), so what goes on the wire — every header Node's fetch adds too — is
// what the API's checks see.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getJson, HttpStatusError } from '../src/adapters/dos-search/strict-get.ts';
import { checkCareConnect } from '../src/use-cases/check-careconnect.ts';
import type { DirectoryQuery } from '../src/ports/directory.ts';
import {
  dosSearchAdapter,
  dosState,
  invalidOdsCode,
  ODS_SYSTEM,
  schedulingEndpoint as scheduling,
  settleDosState,
  startDosSearchServer,
  type DosSearchServer,
} from './support/dos-directory.ts';

const query: DirectoryQuery = { dosServiceId: '2000072489', odsCode: 'Y02494', environment: 'INT' };
const state = dosState({ tokens: ['token-1'] });
let dos: DosSearchServer;

beforeAll(async () => {
  dos = await startDosSearchServer(state);
});
afterEach(() => {
  // A refused request (400/401/404) is one the API would refuse: only a test that provokes it
  // on purpose may, taking it itself.
  expect(settleDosState(state, { tokens: ['token-1'] })).toEqual([]);
});
afterAll(async () => {
  await dos.close();
});

const directory = (token = 'token-1') => dosSearchAdapter({ base: dos.base, credentials: token });

describe('the DoS Search adapter against a real strict server', () => {
  it('finds CareConnect with one request the API takes', async () => {
    state.endpoints = [scheduling('ASID:918999198993')];
    expect(await checkCareConnect(directory(), query)).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
    });
    expect(state.seen).toHaveLength(1);
    const [request] = state.seen;
    expect(request!.url.pathname).toBe('/dos-search/FHIR/R4/Organization');
    expect(request!.url.searchParams.get('identifier')).toBe(`${ODS_SYSTEM}|Y02494`);
    expect(request!.headers.version).toBe('1');
    expect(request!.headers).not.toHaveProperty('traceparent');
  });

  it('calls two ASIDs at one organisation careconnect, listing both', async () => {
    state.endpoints = [
      scheduling('ASID:918999198997'),
      scheduling('ASID:918999198998', {}, { order: 2 }),
    ];
    const finding = await checkCareConnect(directory(), query);
    expect(finding.status).toBe('careconnect');
    expect(finding.detail).toContain('ASID:918999198997 and ASID:918999198998');
  });

  it('sends nothing for RX1: unverified and final', async () => {
    const finding = await checkCareConnect(directory(), { ...query, odsCode: 'RX1' });
    expect(finding).toMatchObject({ status: 'unverified', final: true });
    expect(state.requests).toBe(0);
  });

  it('brings a 400’s diagnostics into the detail', async () => {
    state.respond = () => ({ status: 400, body: invalidOdsCode('Y02494') });
    const finding = await checkCareConnect(directory(), query);
    expect(finding).toMatchObject({ status: 'unverified', final: true });
    expect(finding.detail).toContain(
      "HTTP 400: Invalid identifier value: ODS code 'Y02494' must follow format ^[A-Za-z0-9]{5,12}$",
    );
  });

  it('says a refused token was refused', async () => {
    const finding = await checkCareConnect(directory('stale-token'), query);
    expect(state.refused.splice(0)).toEqual(['401 Invalid or missing authentication token']);
    expect(finding.detail).toMatch(/^The directory refused ecat's API-M credentials .*HTTP 401/);
  });

  it('retries a 503 with the same X-Request-ID', async () => {
    state.endpoints = [scheduling('ODS:Y02494')];
    state.respond = (n) => (n === 1 ? { status: 503, headers: { 'retry-after': '0' } } : undefined);
    expect((await checkCareConnect(directory(), query)).status).toBe('gpconnect');
    const ids = state.seen.map((request) => request.headers['x-request-id']);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });

  it('is strict on the wire: Node fetch’s own header, a traceparent or the old identifier form is refused', async () => {
    const headers = {
      authorization: 'Bearer token-1',
      version: '1',
      'x-request-id': '60e0b220-8136-4ca5-ae46-1d97ef59d068',
    };
    const search = `${dos.base}/Organization?identifier=${ODS_SYSTEM}|Y02494&_revinclude=Endpoint:organization`;
    const refusal = (request: Promise<unknown>) =>
      request.then(
        () => 'answered',
        (error: unknown) => (error instanceof HttpStatusError ? error.status : error),
      );
    // Why the adapter does not go through fetch (nor fhir-kit-client, which uses it): fetch adds
    // sec-fetch-mode to every request, and the API refuses headers it does not list.
    const viaFetch = await fetch(search, { headers });
    expect(viaFetch.status).toBe(400);
    const signal = () => AbortSignal.timeout(5000);
    const traced = {
      ...headers,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    expect(await refusal(getJson(new URL(search), traced, signal()))).toBe(400);
    const old = new URL(search.replace(ODS_SYSTEM, 'odsOrganisationCode'));
    expect(await refusal(getJson(old, headers, signal()))).toBe(400);
    expect(await refusal(getJson(new URL(search), headers, signal()))).toBe('answered');
    expect(state.refused.splice(0)).toEqual([
      '400 Unexpected header(s): sec-fetch-mode.',
      '400 Unexpected header(s): traceparent.',
      "400 Invalid identifier system 'odsOrganisationCode' - expected 'https://fhir.nhs.uk/Id/ods-organization-code'",
    ]);
  });
});
