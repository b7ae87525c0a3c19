import { describe, expect, it } from 'vitest';
import { requestFromForm } from '../src/adapters/http/form-fields.ts';
import { parseConfigurationRequest, type FieldError } from '../src/domain/request/schema.ts';
import { requestBody } from './support/ecat.ts';

/** A valid request (the one every test file starts from), and its requester, to vary a field of. */
const valid = requestBody();
const requester = valid.requester as Record<string, unknown>;

function errorsFor(input: unknown): FieldError[] {
  const result = parseConfigurationRequest(input);
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.request)}`);
  return result.errors;
}

function errorAt(input: unknown, path: string): string {
  const error = errorsFor(input).find((e) => e.path === path);
  if (!error) throw new Error(`no error at ${path}: ${JSON.stringify(errorsFor(input))}`);
  return error.message;
}

describe('the configuration request schema', () => {
  it('accepts a valid request and normalises it', () => {
    const result = parseConfigurationRequest({
      ...valid,
      dosServiceId: ' 2000072489 ',
      environment: 'production',
      odsCode: ' y02494 ',
      tccReference: 'TCC-123',
      serviceName: '',
    });
    expect(result).toEqual({
      ok: true,
      request: {
        ...valid,
        // The endpoint as a WHATWG parser writes it back out: the host in lower case.
        endpoint: 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
        environment: 'PROD',
        tccReference: 'TCC-123',
        // A blank service name is absent.
        serviceName: undefined,
      },
    });
  });

  it.each([
    ['environment', 'prod', 'PROD'],
    ['environment', 'Prod', 'PROD'],
    ['environment', 'PRODUCTION', 'PROD'],
    ['environment', 'int', 'INT'],
    ['environment', 'Integration', 'INT'],
    // The endpoint as a WHATWG parser writes it back out.
    [
      'endpoint',
      'https://BaRS-INT-Y02494.Supplier.THIRDPARTY.nhs.uk',
      'https://bars-int-y02494.supplier.thirdparty.nhs.uk/',
    ],
    ['endpoint', 'https://x.nhs.uk:443/fhir/R4', 'https://x.nhs.uk/fhir/R4'],
    ['endpoint', 'https://x.nhs.uk/a/../fhir/./R4', 'https://x.nhs.uk/fhir/R4'],
    ['endpoint', 'https://x.nhs.uk/caf\u00e9', 'https://x.nhs.uk/caf%C3%A9'],
    ['endpoint', 'HTTPS://x.nhs.uk:8443/fhir?a=b', 'https://x.nhs.uk:8443/fhir?a=b'],
  ] as const)('stores %s %s as %s', (field, given, stored) => {
    const result = parseConfigurationRequest({ ...valid, [field]: given });
    expect(result.ok && result.request[field]).toBe(stored);
  });

  it('turns a JSON number service ID into its digits', () => {
    const result = parseConfigurationRequest({ ...valid, dosServiceId: 138179 });
    expect(result.ok && result.request.dosServiceId).toBe('138179');
  });

  it('refuses letters in the service ID', () => {
    expect(errorAt({ ...valid, dosServiceId: '12ab' }, 'dosServiceId')).toBe(
      'DoS Service ID must only include numbers, like 2000072489',
    );
  });

  it('refuses an 11-digit service ID', () => {
    expect(errorAt({ ...valid, dosServiceId: '12345678901' }, 'dosServiceId')).toBe(
      'DoS Service ID must be 10 numbers or fewer',
    );
  });

  it('refuses an http endpoint', () => {
    expect(errorAt({ ...valid, endpoint: 'http://bars-int-y02494.x.nhs.uk/' }, 'endpoint')).toBe(
      'Endpoint URL must start with https://',
    );
  });

  it('refuses an endpoint outside nhs.uk, including look-alikes, naming the host', () => {
    expect(errorAt({ ...valid, endpoint: 'https://example.com/fhir' }, 'endpoint')).toBe(
      'Endpoint URL must be on a host under nhs.uk, not example.com',
    );
    expect(errorAt({ ...valid, endpoint: 'https://evilnhs.uk/fhir' }, 'endpoint')).toBe(
      'Endpoint URL must be on a host under nhs.uk, not evilnhs.uk',
    );
    expect(errorAt({ ...valid, endpoint: 'https://nhs.uk.evil.com/' }, 'endpoint')).toBe(
      'Endpoint URL must be on a host under nhs.uk, not nhs.uk.evil.com',
    );
  });

  it('refuses credentials, fragments and relative URLs in the endpoint', () => {
    expect(errorAt({ ...valid, endpoint: 'https://user:secret@a.nhs.uk/' }, 'endpoint')).toBe(
      'Endpoint URL must not include a user name or password',
    );
    expect(errorAt({ ...valid, endpoint: 'https://a.nhs.uk/fhir#x' }, 'endpoint')).toBe(
      'Endpoint URL must not include a # part',
    );
    expect(errorAt({ ...valid, endpoint: '/fhir/R4' }, 'endpoint')).toBe(
      'Enter the endpoint URL in the correct format, like https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    );
  });

  it.each([
    // Read as host evil.com by curl and Python, as x.nhs.uk by a WHATWG parser.
    [
      'a backslash before @',
      'https://x.nhs.uk\\@evil.com/',
      'Endpoint URL must use forward slashes (/), not backslashes',
    ],
    [
      'backslashes for slashes',
      'https:\\\\x.nhs.uk\\fhir',
      'Endpoint URL must use forward slashes (/), not backslashes',
    ],
    ['a tab', 'https://x.nhs.uk/fh\tir', 'Endpoint URL must not include control characters'],
    ['a space', 'https://x.nhs.uk/fh ir', 'Endpoint URL must not include spaces'],
    ['a no-break space', 'https://x.nhs.uk/\u00a0fhir', 'Endpoint URL must not include spaces'],
    [
      'a zero-width space',
      'https://x.nhs.\u200buk/fhir',
      'Endpoint URL must not include hidden characters (it has U+200B)',
    ],
    [
      'a right-to-left override',
      'https://x.nhs.uk/\u202efhir',
      'Endpoint URL must not include hidden characters (it has U+202E)',
    ],
    [
      'a C1 control',
      'https://x.nhs.uk/\u009b31m',
      'Endpoint URL must not include control characters',
    ],
    [
      'full-width letters in the host',
      'https://\uff58.nhs.uk/fhir',
      'Endpoint URL must have a host written in letters, numbers, dots and hyphens only',
    ],
    [
      'an accented host',
      'https://bars-int-\u00e9.nhs.uk/',
      'Endpoint URL must have a host written in letters, numbers, dots and hyphens only',
    ],
    [
      'a percent-encoded host',
      'https://evil%2Ecom.nhs.uk/',
      'Endpoint URL must have a host written in letters, numbers, dots and hyphens only',
    ],
    ['an empty fragment', 'https://x.nhs.uk/fhir#', 'Endpoint URL must not include a # part'],
  ])('refuses an endpoint with %s', (_case, endpoint, message) => {
    expect(errorAt({ ...valid, endpoint }, 'endpoint')).toBe(message);
  });

  it('keeps one spelling of a service ID: inner spaces dropped, leading zeros refused', () => {
    const accepted = (id: unknown) => {
      const result = parseConfigurationRequest({ ...valid, dosServiceId: id });
      return result.ok ? result.request.dosServiceId : result.errors;
    };
    expect(accepted(' 2000 072 489 ')).toBe('2000072489');
    expect(accepted('1')).toBe('1');
    expect(errorAt({ ...valid, dosServiceId: '01' }, 'dosServiceId')).toBe(
      'DoS Service ID must not start with 0 (did you mean 1?)',
    );
    expect(errorAt({ ...valid, dosServiceId: '0000000001' }, 'dosServiceId')).toBe(
      'DoS Service ID must not start with 0 (did you mean 1?)',
    );
    expect(errorAt({ ...valid, dosServiceId: '0' }, 'dosServiceId')).toBe(
      'DoS Service ID must not be 0',
    );
  });

  it.each([
    ['serviceName', { ...valid, serviceName: 'UTC\u009b31m' }, 'Service name'],
    ['supplier', { ...valid, supplier: 'Supplier\u0085Ltd' }, 'Supplier'],
    ['serviceName', { ...valid, serviceName: 'tab\there' }, 'Service name'],
    ['serviceName', { ...valid, serviceName: 'trailing tab\t' }, 'Service name'],
    ['requester.name', { ...valid, requester: { ...requester, name: 'A\u001b[2J' } }, 'Full name'],
    ['tccReference', { ...valid, tccReference: 'TCC\u007f' }, 'TCC reference'],
    ['notes', { ...valid, notes: 'fine\nthen \u009b' }, 'Notes'],
    ['notes', { ...valid, notes: 'escape \u001b[31m' }, 'Notes'],
  ])('refuses C0 and C1 control characters in %s', (path, input, label) => {
    expect(errorAt(input, path)).toBe(`${label} must not include control characters`);
  });

  it.each([
    ['dosServiceId', { ...valid, dosServiceId: '123\r\n' }],
    ['endpoint', { ...valid, endpoint: 'https://a.nhs.uk/\r\nBcc: x@y.z' }],
    ['serviceName', { ...valid, serviceName: 'UTC\r\nBcc: attacker@example.com' }],
    ['supplier', { ...valid, supplier: 'A\nB' }],
    ['tccReference', { ...valid, tccReference: 'TCC\r1' }],
    ['careConnectWaiver', { ...valid, careConnectWaiver: 'x\ny' }],
    ['requester.name', { ...valid, requester: { ...requester, name: 'A\r\nB' } }],
    [
      'requester.email',
      { ...valid, requester: { ...requester, email: 'a@nhs.net\r\nBcc: b@c.d' } },
    ],
    ['requester.organisation', { ...valid, requester: { ...requester, organisation: 'A\nB' } }],
    ['requester.phone', { ...valid, requester: { ...requester, phone: '01\n02' } }],
  ])('refuses CR/LF in %s', (path, input) => {
    const errors = errorsFor(input);
    expect(errors.map((e) => e.path)).toContain(path);
  });

  it('allows line breaks in notes only', () => {
    const result = parseConfigurationRequest({ ...valid, notes: 'line one\r\nline two' });
    expect(result.ok).toBe(true);
  });

  it('refuses unknown fields, at the top level and inside', () => {
    const errors = errorsFor({
      ...valid,
      priority: 'high',
      requester: { ...requester, role: 'lead' },
      testDates: { from: '2030-01-07', until: '2030-01-08' },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          path: 'priority',
          code: 'unknown-field',
          message: 'priority is not a field of a configuration request',
        },
        {
          path: 'requester.role',
          code: 'unknown-field',
          message: 'requester.role is not a field of a configuration request',
        },
        {
          path: 'testDates.until',
          code: 'unknown-field',
          message: 'testDates.until is not a field of a configuration request',
        },
      ]),
    );
  });

  it('refuses impossible calendar dates', () => {
    expect(errorAt({ ...valid, testDates: { from: '2027-02-30' } }, 'testDates.from')).toBe(
      'First test date must be a real date',
    );
    expect(errorAt({ ...valid, testDates: { from: '2027-13-01' } }, 'testDates.from')).toBe(
      'First test date must be a real date',
    );
    expect(errorAt({ ...valid, testDates: { from: '1/3/2027' } }, 'testDates.from')).toBe(
      'First test date must be a real date, like 2027-03-15',
    );
    // 2028 is a leap year.
    expect(parseConfigurationRequest({ ...valid, testDates: { from: '2028-02-29' } }).ok).toBe(
      true,
    );
  });

  it('says which parts of a date are missing, as the form sends them', () => {
    // The form keeps an empty box empty: a day alone is "--05".
    expect(errorsFor({ ...valid, testDates: { from: '--05' } })).toEqual([
      {
        path: 'testDates.from',
        code: 'date-parts',
        message: 'First test date must include a month and year',
      },
    ]);
    expect(errorAt({ ...valid, testDates: { from: '2027--05' } }, 'testDates.from')).toBe(
      'First test date must include a month',
    );
    expect(
      errorAt({ ...valid, testDates: { from: '2027-03-02', to: '2027-03-' } }, 'testDates.to'),
    ).toBe('Last test date must include a day');
    expect(errorAt({ ...valid, testDates: { from: '' } }, 'testDates.from')).toBe(
      'Enter the first test date',
    );
  });

  it('words a date from the form’s three boxes as the NHS.UK date pattern asks', () => {
    const fromBoxes = (day: string, month: string, year: string) =>
      requestFromForm({
        'testDates-from-day': day,
        'testDates-from-month': month,
        'testDates-from-year': year,
      }).testDates;
    expect(fromBoxes('5', '', '')).toEqual({ from: '--05' });
    expect(errorAt({ ...valid, testDates: fromBoxes('5', '', '') }, 'testDates.from')).toBe(
      'First test date must include a month and year',
    );
    expect(errorAt({ ...valid, testDates: fromBoxes('', '3', '2027') }, 'testDates.from')).toBe(
      'First test date must include a day',
    );
    // A month may be written as its name.
    expect(fromBoxes('5', 'March', '2027')).toEqual({ from: '2027-03-05' });
    expect(errorAt({ ...valid, testDates: fromBoxes('5', 'mar', '27') }, 'testDates.from')).toBe(
      'Year must include 4 numbers',
    );
    expect(errorAt({ ...valid, testDates: fromBoxes('31', '2', '2030') }, 'testDates.from')).toBe(
      'First test date must be a real date',
    );
  });

  it('asks for a 4-number year', () => {
    expect(errorsFor({ ...valid, testDates: { from: '27-03-05' } })).toEqual([
      { path: 'testDates.from', code: 'date-year', message: 'Year must include 4 numbers' },
    ]);
    expect(errorAt({ ...valid, testDates: { from: '12345-03-05' } }, 'testDates.from')).toBe(
      'Year must include 4 numbers',
    );
  });

  it('refuses a test end before its start', () => {
    expect(errorsFor({ ...valid, testDates: { from: '2027-03-02', to: '2027-03-01' } })).toEqual([
      {
        path: 'testDates.to',
        code: 'date-order',
        message: 'Last test date must be the same as or after the first test date',
      },
    ]);
  });

  it('refuses a bad ODS code, and upper-cases a good one', () => {
    expect(errorAt({ ...valid, odsCode: 'R8' }, 'odsCode')).toBe(
      'ODS code must be 3 to 12 letters or numbers, like Y02494',
    );
    expect(errorAt({ ...valid, odsCode: 'RR8-01' }, 'odsCode')).toBe(
      'ODS code must be 3 to 12 letters or numbers, like Y02494',
    );
    const result = parseConfigurationRequest({ ...valid, odsCode: 'rr8' });
    expect(result.ok && result.request.odsCode).toBe('RR8');
  });

  it('refuses a bad requester email and a missing requester', () => {
    expect(
      errorAt({ ...valid, requester: { name: 'A', email: 'not-an-address' } }, 'requester.email'),
    ).toBe('Enter an email address in the correct format, like name@example.nhs.uk');
    const { requester: _omitted, ...withoutRequester } = valid;
    expect(errorAt(withoutRequester, 'requester')).toBe('Enter your name and email address');
  });

  it('asks for what is missing, in the field’s own words', () => {
    expect(errorsFor({ ...valid, dosServiceId: '' })).toEqual([
      { path: 'dosServiceId', code: 'required', message: 'Enter the DoS Service ID' },
    ]);
    expect(errorAt({ ...valid, environment: '' }, 'environment')).toBe(
      'Select the environment, INT or Prod',
    );
    expect(errorAt({ ...valid, endpoint: '' }, 'endpoint')).toBe('Enter the endpoint URL');
    expect(errorAt({ ...valid, odsCode: '' }, 'odsCode')).toBe('Enter the ODS code');
  });

  it('says what a field of the wrong type must be', () => {
    expect(errorAt({ ...valid, environment: 3 }, 'environment')).toBe('Environment must be text');
    expect(errorAt({ ...valid, environment: 'staging' }, 'environment')).toBe(
      'Environment must be INT or Prod',
    );
    expect(errorAt({ ...valid, dosServiceId: true }, 'dosServiceId')).toBe(
      'DoS Service ID must only include numbers, like 2000072489',
    );
  });

  it('does not call an object field of the wrong type "text"', () => {
    // requester and testDates are objects: a string in their place is not a problem of text.
    // Fails for now: the catalogue has no code for "must be an object", so formatIssues falls
    // back to 'not-text' and says "Your details must be text" (reported, src/ not changed here).
    expect(errorAt({ ...valid, requester: 'alex' }, 'requester')).not.toBe(
      'Your details must be text',
    );
    expect(errorAt({ ...valid, testDates: 'soon' }, 'testDates')).not.toBe(
      'Proposed test dates must be text',
    );
  });

  it('enforces lengths', () => {
    expect(errorAt({ ...valid, serviceName: 'x'.repeat(201) }, 'serviceName')).toBe(
      'Service name must be 200 characters or fewer',
    );
    expect(errorAt({ ...valid, notes: 'x'.repeat(2001) }, 'notes')).toBe(
      'Notes must be 2000 characters or fewer',
    );
    expect(errorAt({ ...valid, tccReference: 'x'.repeat(101) }, 'tccReference')).toBe(
      'TCC reference must be 100 characters or fewer',
    );
    expect(errorAt({ ...valid, careConnectWaiver: 'x'.repeat(501) }, 'careConnectWaiver')).toBe(
      'CareConnect reason must be 500 characters or fewer',
    );
  });

  it('refuses something that is not an object', () => {
    for (const input of [null, [], 'text', 42]) {
      expect(errorsFor(input)).toEqual([
        {
          path: '',
          code: 'not-an-object',
          message: 'A configuration request must be a JSON object',
        },
      ]);
    }
  });
});
