// The CareConnect rules on hand-built DoS Endpoints, and what the check makes of the directory's answer.
import type { Endpoint } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { checkCareConnect } from '../src/use-cases/check-careconnect.ts';
import { classifySchedulingEndpoints } from '../src/domain/careconnect/classify.ts';
import {
  DirectoryCannotAnswerError,
  DirectoryUnavailableError,
  type Directory,
  type DirectoryQuery,
} from '../src/ports/directory.ts';
import type { CareConnectFinding } from '../src/domain/careconnect/finding.ts';
import { schedulingEndpoint } from './support/dos-directory.ts';

/** A DoS Search scheduling Endpoint (the shared fixture), its business scenario given or none. */
const scheduling = (
  address: string,
  overrides: Partial<Endpoint> = {},
  scenario: string | null = 'primary-recipient',
) => schedulingEndpoint(address, overrides, { scenario });

const referral = scheduling('https://itk.example.nhs.uk/receive', {
  id: 'ep-referral',
  payloadType: [{ coding: [{ code: 'urn:nhs-itk:interaction:primaryRecipient' }] }],
});

const classify = (endpoints: Endpoint[]) =>
  classifySchedulingEndpoints(endpoints, 'DoS Search API, INT');

describe('classifying scheduling endpoints', () => {
  // What the whole finding is, for endpoints DoS could hold.
  it.each<[string, Endpoint[], CareConnectFinding]>([
    [
      'recognises CareConnect by its ASID: address',
      [scheduling('ASID:918999198993')],
      {
        status: 'careconnect',
        address: 'ASID:918999198993',
        detail:
          'DoS has a CareConnect scheduling endpoint ASID:918999198993 (DoS Search API, INT).',
      },
    ],
    [
      'calls an address without the prefix malformed, keeping the address',
      [scheduling('918999198993')],
      {
        status: 'malformed',
        address: '918999198993',
        detail:
          "DoS has a scheduling endpoint '918999198993' without the ASID: or ODS: prefix (DoS Search API, INT); CareConnect booking will not work until it is fixed.",
      },
    ],
    [
      'calls several well-formed ASID: endpoints careconnect, listing every one',
      [scheduling('ASID:918999198997'), scheduling('ASID:918999198998')],
      {
        status: 'careconnect',
        address: 'ASID:918999198997',
        detail:
          'DoS has 2 CareConnect scheduling endpoints, ASID:918999198997 and ASID:918999198998 (DoS Search API, INT).',
      },
    ],
    [
      'rests on the well-formed endpoint when others are not, naming those too',
      [
        scheduling('918999198993'),
        scheduling('ASID:918999198994', { status: 'off' }),
        scheduling('ASID:918999198995'),
      ],
      {
        status: 'careconnect',
        address: 'ASID:918999198995',
        detail:
          "DoS has a CareConnect scheduling endpoint ASID:918999198995 (DoS Search API, INT). Not usable: '918999198993' without the ASID: or ODS: prefix; 'ASID:918999198994' with status 'off', not active.",
      },
    ],
    [
      'calls several scheduling endpoints malformed only when none would work',
      [scheduling('918999198993'), scheduling('ASID:918999198996', {}, 'copy-recipient')],
      {
        status: 'malformed',
        address: '918999198993',
        detail:
          "DoS has 2 scheduling endpoints and none would work: '918999198993' without the ASID: or ODS: prefix; 'ASID:918999198996' as a copy recipient, not the primary recipient (DoS Search API, INT); CareConnect booking will not work until one is fixed.",
      },
    ],
  ])('%s', (_name, endpoints, finding) => {
    expect(classify(endpoints)).toEqual(finding);
  });

  // Its status (and address) and the whole sentence.
  it.each<[string, Endpoint[], Partial<CareConnectFinding>, string]>([
    [
      'recognises GP Connect by its ODS: address, and says CareConnect is absent',
      [scheduling('ODS:A20047')],
      { status: 'gpconnect', address: 'ODS:A20047' },
      'DoS has a GP Connect scheduling endpoint ODS:A20047 but no CareConnect (ASID:) one (DoS Search API, INT).',
    ],
    [
      'names every problem of one endpoint in one sentence',
      [scheduling('918999198993', { status: 'off' }, 'copy-recipient')],
      { status: 'malformed' },
      "DoS has a scheduling endpoint '918999198993' without the ASID: or ODS: prefix and with status 'off', not active and as a copy recipient, not the primary recipient (DoS Search API, INT); CareConnect booking will not work until it is fixed.",
    ],
    [
      'prefers CareConnect to GP Connect, and says both are there',
      [scheduling('ODS:Y09004'), scheduling('ASID:918999198997')],
      { status: 'careconnect', address: 'ASID:918999198997' },
      'DoS has a CareConnect scheduling endpoint ASID:918999198997 (DoS Search API, INT). It also has GP Connect: ODS:Y09004.',
    ],
    [
      'lists several GP Connect endpoints when there is no CareConnect one',
      [scheduling('ODS:Y09004'), scheduling('ODS:Y09005')],
      { status: 'gpconnect', address: 'ODS:Y09004' },
      'DoS has GP Connect scheduling endpoints ODS:Y09004 and ODS:Y09005 but no CareConnect (ASID:) one (DoS Search API, INT).',
    ],
  ])('%s', (_name, endpoints, found, detail) => {
    const finding = classify(endpoints);
    expect(finding).toMatchObject(found);
    expect(finding.detail).toBe(detail);
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
    expect(classify([scheduling('ASID:918999198993', {}, null)]).status).toBe('careconnect');
  });

  it('names the organisation when the directory answered for one', () => {
    const finding = classifySchedulingEndpoints(
      [scheduling('ASID:918999198997'), scheduling('ASID:918999198998')],
      'DoS Search API, INT',
      'organisation Y09004',
    );
    expect(finding.detail).toBe(
      'DoS has 2 CareConnect scheduling endpoints, ASID:918999198997 and ASID:918999198998, for organisation Y09004 (DoS Search API, INT).',
    );
  });

  it('orders by the OrganizationEndpointOrder extension', () => {
    const ordered = (address: string, order: number) => schedulingEndpoint(address, {}, { order });
    const finding = classify([ordered('ASID:2', 2), ordered('ASID:1', 1)]);
    expect(finding.address).toBe('ASID:1');
    expect(finding.detail).toContain('ASID:1 and ASID:2');
  });

  it.each<[string, Partial<Endpoint>, string]>([
    ['transport', { connectionType: { code: 'itk' } }, "with transport 'itk', not http"],
    ['format', { payloadMimeType: ['application/pdf'] }, "with format 'application/pdf', not FHIR"],
  ])('calls a scheduling endpoint with the wrong %s malformed', (_what, overrides, said) => {
    const finding = classify([scheduling('ASID:918999198993', overrides)]);
    expect(finding.status).toBe('malformed');
    expect(finding.detail).toContain(said);
  });

  it.each([['application/fhir'], ['application/fhir+json'], ['application/fhir+xml']])(
    'takes %s as the FHIR format',
    (mime) => {
      const finding = classify([scheduling('ASID:918999198993', { payloadMimeType: [mime] })]);
      expect(finding.status).toBe('careconnect');
    },
  );

  it('counts a scheduling code only in the endpoint-payload-type system (or with none)', () => {
    const elsewhere = scheduling('ASID:918999198993', {
      payloadType: [{ coding: [{ system: 'https://example.org/other', code: 'scheduling' }] }],
    });
    expect(classify([elsewhere]).status).toBe('missing');
    const unsystematic = scheduling('ASID:918999198993', {
      payloadType: [{ coding: [{ code: 'scheduling' }] }],
    });
    expect(classify([unsystematic]).status).toBe('careconnect');
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

  it.each<[string, Directory, string | undefined, CareConnectFinding]>([
    [
      'classifies what the directory answers, naming where it came from',
      answering(scheduling('ASID:918999198993')),
      undefined,
      {
        status: 'careconnect',
        address: 'ASID:918999198993',
        detail: 'DoS has a CareConnect scheduling endpoint ASID:918999198993 (DoS snapshot).',
      },
    ],
    [
      'calls an unreachable directory unverified, not missing',
      failing(new DirectoryUnavailableError('DoS Search API, INT: HTTP 503')),
      'a waiver does not apply to an unverified finding',
      {
        status: 'unverified',
        detail:
          'The directory could not be reached (DoS Search API, INT: HTTP 503); CareConnect will be checked again before the email is sent.',
      },
    ],
    [
      'calls a directory that cannot answer this query unverified and final',
      failing(new DirectoryCannotAnswerError('DoS Search cannot look RX1 up.')),
      'a waiver does not apply to an unverified finding',
      { status: 'unverified', final: true, detail: 'DoS Search cannot look RX1 up.' },
    ],
    [
      'waives a missing configuration when the requester gives a reason',
      answering(),
      'ED does not take direct bookings',
      {
        status: 'waived',
        detail:
          'DoS has no scheduling endpoint for this service (DoS snapshot), so neither CareConnect nor GP Connect booking is configured. Waived by the requester: "ED does not take direct bookings".',
      },
    ],
  ])('%s', async (_name, directory, waiver, finding) => {
    expect(await checkCareConnect(directory, query, waiver)).toEqual(finding);
  });

  it('says refused credentials were refused, and that it will ask again', async () => {
    const finding = await checkCareConnect(
      failing(new DirectoryUnavailableError('DoS Search API, INT: HTTP 401', 'credentials')),
      query,
    );
    expect(finding.status).toBe('unverified');
    expect(finding.final).toBeUndefined();
    expect(finding.detail).toMatch(
      /^The directory refused ecat's API-M credentials \(DoS Search API, INT: HTTP 401\); CareConnect will be checked again/,
    );
  });

  it('lets any other failure through: it is a fault, not an answer', async () => {
    await expect(checkCareConnect(failing(new TypeError('bug')), query)).rejects.toThrow('bug');
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
