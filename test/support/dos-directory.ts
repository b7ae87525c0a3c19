// The DoS FHIR API as msw handlers (the one NHS service we may not call from tests): a directory
// that is down, or answers with a service's scheduling Endpoints, switchable while a test runs.
import type { Bundle, CapabilityStatement, Endpoint } from 'fhir/r4.js';
import { http, HttpResponse } from 'msw';

export const DOS_BASE = 'https://int.api.service.nhs.uk/dos-search/FHIR/R4';
const EXT = 'https://fhir.nhs.uk/England/StructureDefinition/';

/** A valid DoS scheduling Endpoint: `ASID:…` is CareConnect, `ODS:…` GP Connect (DOMAIN.md). */
export function schedulingEndpoint(address: string): Endpoint {
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
    managingOrganization: { reference: 'Organization/org-1' },
    payloadType: [{ coding: [{ code: 'scheduling' }] }],
    payloadMimeType: ['application/fhir+json'],
    address,
  };
}

const capability: CapabilityStatement = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-11-01',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
  rest: [
    {
      mode: 'server',
      resource: [{ type: 'Organization', searchParam: [{ name: 'identifier', type: 'token' }] }],
    },
  ],
};

function organisationBundle(odsCode: string, endpoints: Endpoint[]): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [
      {
        resource: {
          resourceType: 'Organization',
          id: 'org-1',
          identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: odsCode }],
        },
      },
      ...endpoints.map((resource) => ({ resource, search: { mode: 'include' as const } })),
    ],
  };
}

export interface DosDirectoryState {
  /** false: every request fails at the network level (the directory is unreachable). */
  up: boolean;
  /** The scheduling Endpoints every organisation has while up. */
  endpoints: Endpoint[];
  /** Requests answered or refused so far. */
  requests: number;
}

/** Handlers for `setupServer(...)`; change `state` to take the directory down or bring it back. */
export function dosDirectory(state: DosDirectoryState, base = DOS_BASE) {
  const guard = () => {
    state.requests += 1;
    return state.up ? undefined : HttpResponse.error();
  };
  return [
    http.get(`${base}/metadata`, () => guard() ?? HttpResponse.json(capability)),
    http.get(`${base}/Organization`, ({ request }) => {
      const identifier = new URL(request.url).searchParams.get('identifier') ?? '';
      return (
        guard() ??
        HttpResponse.json(organisationBundle(identifier.split('|')[1] ?? '', state.endpoints))
      );
    }),
  ];
}
