// The CareConnect rules on hand-built DoS Endpoints, and what the check makes of the directory's answer.
import type { Endpoint } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { checkCareConnect } from '../src/careconnect/check.ts';
import { classifySchedulingEndpoints } from '../src/careconnect/classify.ts';
import {
  DirectoryUnavailableError,
  type Directory,
  type DirectoryQuery,
} from '../src/careconnect/directory.ts';

const EXT = 'https://fhir.nhs.uk/England/StructureDefinition/';

/** A DoS Search API scheduling Endpoint, as DOMAIN.md describes one. */
function scheduling(
  address: string,
  overrides: Partial<Endpoint> = {},
  scenario: string | undefined = 'primary-recipient',
): Endpoint {
  return {
    resourceType: 'Endpoint',
    id: `ep-${address.replace(/\W/g, '')}`,
    status: 'active',
    extension: [
      { url: `${EXT}Extension-England-OrganizationEndpointOrder`, valueInteger: 1 },
      { url: `${EXT}Extension-England-EndpointCompression`, valueBoolean: false },
      ...(scenario === undefined
        ? []
        : [{ url: `${EXT}Extension-England-EndpointBusinessScenario`, valueCode: scenario }]),
    ],
    connectionType: {
      system: 'https://fhir.nhs.uk/England/CodeSystem/England-EndpointConnection',
      code: 'http',
    },
    managingOrganization: { reference: 'Organization/org-1' },
    payloadType: [
      {
        coding: [
          {
            system: 'https://fhir.nhs.uk/England/CodeSystem/England-EndpointPayloadType',
            code: 'scheduling',
          },
        ],
      },
    ],
    payloadMimeType: ['application/fhir+json'],
    address,
    ...overrides,
  };
}

const referral = scheduling('https://itk.example.nhs.uk/receive', {
  id: 'ep-referral',
  payloadType: [{ coding: [{ code: 'urn:nhs-itk:interaction:primaryRecipient' }] }],
});

const classify = (endpoints: Endpoint[]) =>
  classifySchedulingEndpoints(endpoints, 'DoS Search API, INT');

describe('classifying scheduling endpoints', () => {
  it('recognises CareConnect by its ASID: address', () => {
    expect(classify([scheduling('ASID:918999198993')])).toEqual({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: 'DoS has a CareConnect scheduling endpoint ASID:918999198993 (DoS Search API, INT).',
    });
  });

  it('recognises GP Connect by its ODS: address, and says CareConnect is absent', () => {
    const finding = classify([scheduling('ODS:A20047')]);
    expect(finding).toMatchObject({ status: 'gpconnect', address: 'ODS:A20047' });
    expect(finding.detail).toBe(
      'DoS has a GP Connect scheduling endpoint ODS:A20047 but no CareConnect (ASID:) one (DoS Search API, INT).',
    );
  });

  it('counts only scheduling endpoints', () => {
    expect(classify([referral, scheduling('ASID:918999198993')]).status).toBe('careconnect');
    expect(classify([referral, scheduling('ASID:1'), referral]).status).toBe('careconnect');
  });

  it('calls no scheduling endpoint missing, without an address', () => {
    for (const endpoints of [[], [referral]]) {
      const finding = classify(endpoints);
      expect(finding.status).toBe('missing');
      expect(finding.address).toBeUndefined();
      expect(finding.detail).toBe(
        'DoS has no scheduling endpoint for this service (DoS Search API, INT), so neither CareConnect nor GP Connect booking is configured.',
      );
    }
  });

  it('calls an address without the prefix malformed, keeping the address', () => {
    expect(classify([scheduling('918999198993')])).toEqual({
      status: 'malformed',
      address: '918999198993',
      detail:
        "DoS has a scheduling endpoint '918999198993' without the ASID: or ODS: prefix (DoS Search API, INT); CareConnect booking will not work until it is fixed.",
    });
  });

  it.each([['asid:918999198993'], ['ASID: 918999198993'], ['ASID:9189-9919'], ['ODS:']])(
    'calls %s malformed: prefixed, but not in the form DoS needs',
    (address) => {
      const finding = classify([scheduling(address)]);
      expect(finding.status).toBe('malformed');
      expect(finding.detail).toMatch(/not in the form ASID:<digits> or ODS:<code>/);
    },
  );

  it.each([['off'], ['suspended'], ['error'], ['entered-in-error']] as const)(
    'calls a %s endpoint malformed',
    (status) => {
      const finding = classify([scheduling('ASID:918999198993', { status })]);
      expect(finding).toMatchObject({ status: 'malformed', address: 'ASID:918999198993' });
      expect(finding.detail).toContain(`with status '${status}', not active`);
    },
  );

  it('calls a copy-recipient endpoint malformed', () => {
    const finding = classify([scheduling('ASID:918999198993', {}, 'copy-recipient')]);
    expect(finding).toMatchObject({ status: 'malformed', address: 'ASID:918999198993' });
    expect(finding.detail).toContain('as a copy recipient, not the primary recipient');
  });

  it('finds the business scenario by the extension name, whatever its base URL', () => {
    const endpoint = scheduling('ASID:918999198993', {
      extension: [
        {
          url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-England-EndpointBusinessScenario',
          valueCode: 'copy-recipient',
        },
      ],
    });
    expect(classify([endpoint]).status).toBe('malformed');
  });

  it('takes an endpoint without a business scenario as the primary recipient', () => {
    expect(classify([scheduling('ASID:918999198993', {}, undefined)]).status).toBe('careconnect');
  });

  it('names every problem of one endpoint in one sentence', () => {
    const finding = classify([scheduling('918999198993', { status: 'off' }, 'copy-recipient')]);
    expect(finding.status).toBe('malformed');
    expect(finding.detail).toBe(
      "DoS has a scheduling endpoint '918999198993' without the ASID: or ODS: prefix and with status 'off', not active and as a copy recipient, not the primary recipient (DoS Search API, INT); CareConnect booking will not work until it is fixed.",
    );
  });

  it('calls several scheduling endpoints malformed, even when each is valid', () => {
    const finding = classify([scheduling('ASID:918999198997'), scheduling('ODS:Y09004')]);
    expect(finding).toMatchObject({ status: 'malformed', address: 'ASID:918999198997' });
    expect(finding.detail).toBe(
      'DoS has 2 scheduling endpoints for this service, ASID:918999198997, ODS:Y09004 (DoS Search API, INT); there should be only one.',
    );
  });

  it('trims the address DoS holds', () => {
    expect(classify([scheduling(' ASID:918999198993 ')]).address).toBe('ASID:918999198993');
  });
});

describe('checkCareConnect', () => {
  const query: DirectoryQuery = {
    dosServiceId: '2000072489',
    odsCode: 'Y02494',
    environment: 'INT',
  };
  const answering = (...endpoints: Endpoint[]): Directory => ({
    schedulingEndpoints: () => Promise.resolve({ endpoints, source: 'DoS snapshot' }),
  });
  const failing = (error: Error): Directory => ({
    schedulingEndpoints: () => Promise.reject(error),
  });

  it('classifies what the directory answers, naming where it came from', async () => {
    const finding = await checkCareConnect(answering(scheduling('ASID:918999198993')), query);
    expect(finding).toEqual({
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: 'DoS has a CareConnect scheduling endpoint ASID:918999198993 (DoS snapshot).',
    });
  });

  it('calls an unreachable directory unverified, not missing', async () => {
    const finding = await checkCareConnect(
      failing(new DirectoryUnavailableError('DoS Search API, INT: HTTP 503')),
      query,
      'a waiver does not apply to an unverified finding',
    );
    expect(finding).toEqual({
      status: 'unverified',
      detail:
        'The directory could not be reached (DoS Search API, INT: HTTP 503); CareConnect will be checked again before the email is sent.',
    });
  });

  it('lets any other failure through: it is a fault, not an answer', async () => {
    await expect(checkCareConnect(failing(new TypeError('bug')), query)).rejects.toThrow('bug');
  });

  it('waives a missing configuration when the requester gives a reason', async () => {
    const finding = await checkCareConnect(answering(), query, 'ED does not take direct bookings');
    expect(finding).toEqual({
      status: 'waived',
      detail:
        'DoS has no scheduling endpoint for this service (DoS snapshot), so neither CareConnect nor GP Connect booking is configured. Waived by the requester: "ED does not take direct bookings".',
    });
  });

  it('waives a malformed configuration, keeping the address found', async () => {
    const finding = await checkCareConnect(
      answering(scheduling('918999198993')),
      query,
      'DoS team fixing the prefix',
    );
    expect(finding).toMatchObject({ status: 'waived', address: '918999198993' });
    expect(finding.detail).toMatch(
      /^DoS has a scheduling endpoint '918999198993' without the ASID: or ODS: prefix .*\. Waived by the requester: "DoS team fixing the prefix"\.$/,
    );
  });

  it('ignores a waiver when the configuration is fine', async () => {
    expect(
      (await checkCareConnect(answering(scheduling('ODS:A20047')), query, 'not needed')).status,
    ).toBe('gpconnect');
    expect(
      (await checkCareConnect(answering(scheduling('ASID:918999198993')), query, 'not needed'))
        .status,
    ).toBe('careconnect');
  });
});
