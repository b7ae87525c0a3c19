import { describe, expect, it } from 'vitest';
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

  it('refuses letters in the service ID, showing the value', () => {
    expect(errorAt({ ...valid, dosServiceId: '12ab' }, 'dosServiceId')).toBe(
      "must be 1–10 digits, got '12ab'",
    );
  });

  it('refuses an 11-digit service ID', () => {
    expect(errorAt({ ...valid, dosServiceId: '12345678901' }, 'dosServiceId')).toBe(
      "must be 1–10 digits, got '12345678901'",
    );
  });

  it('refuses an http endpoint', () => {
    expect(errorAt({ ...valid, endpoint: 'http://bars-int-y02494.x.nhs.uk/' }, 'endpoint')).toBe(
      "must use https, got 'http'",
    );
  });

  it('refuses an endpoint outside nhs.uk, including look-alikes', () => {
    expect(errorAt({ ...valid, endpoint: 'https://example.com/fhir' }, 'endpoint')).toMatch(
      /under nhs\.uk, got 'example\.com'/,
    );
    expect(errorAt({ ...valid, endpoint: 'https://evilnhs.uk/fhir' }, 'endpoint')).toMatch(
      /under nhs\.uk/,
    );
    expect(errorAt({ ...valid, endpoint: 'https://nhs.uk.evil.com/' }, 'endpoint')).toMatch(
      /under nhs\.uk/,
    );
  });

  it('refuses credentials, fragments and relative URLs in the endpoint', () => {
    expect(errorAt({ ...valid, endpoint: 'https://user:secret@a.nhs.uk/' }, 'endpoint')).toBe(
      'must not contain a user name or password',
    );
    expect(errorAt({ ...valid, endpoint: 'https://a.nhs.uk/fhir#x' }, 'endpoint')).toMatch(
      /fragment/,
    );
    expect(errorAt({ ...valid, endpoint: '/fhir/R4' }, 'endpoint')).toMatch(/absolute https URL/);
  });

  it.each([
    // Read as host evil.com by curl and Python, as x.nhs.uk by a WHATWG parser.
    ['a backslash before @', 'https://x.nhs.uk\\@evil.com/', /backslash/],
    ['backslashes for slashes', 'https:\\\\x.nhs.uk\\fhir', /backslash/],
    ['a tab', 'https://x.nhs.uk/fh\tir', /control characters/],
    ['a space', 'https://x.nhs.uk/fh ir', /spaces or tabs \(found U\+0020\)/],
    ['a no-break space', 'https://x.nhs.uk/\u00a0fhir', /spaces or tabs \(found U\+00A0\)/],
    ['a zero-width space', 'https://x.nhs.\u200buk/fhir', /invisible characters \(found U\+200B\)/],
    ['a right-to-left override', 'https://x.nhs.uk/\u202efhir', /invisible/],
    ['a C1 control', 'https://x.nhs.uk/\u009b31m', /control characters/],
    ['full-width letters in the host', 'https://\uff58.nhs.uk/fhir', /plain letters, digits/],
    ['an accented host', 'https://bars-int-\u00e9.nhs.uk/', /plain letters, digits/],
    ['a percent-encoded host', 'https://evil%2Ecom.nhs.uk/', /plain letters, digits/],
    ['an empty fragment', 'https://x.nhs.uk/fhir#', /fragment/],
  ])('refuses an endpoint with %s', (_case, endpoint, message) => {
    expect(errorAt({ ...valid, endpoint }, 'endpoint')).toMatch(message);
  });

  it('keeps one spelling of a service ID: inner spaces dropped, leading zeros refused', () => {
    const accepted = (id: unknown) => {
      const result = parseConfigurationRequest({ ...valid, dosServiceId: id });
      return result.ok ? result.request.dosServiceId : result.errors;
    };
    expect(accepted(' 2000 072 489 ')).toBe('2000072489');
    expect(accepted('1')).toBe('1');
    expect(errorAt({ ...valid, dosServiceId: '01' }, 'dosServiceId')).toBe(
      "must not start with 0: DoS Service IDs have no leading zeros (did you mean '1'?)",
    );
    expect(errorAt({ ...valid, dosServiceId: '0000000001' }, 'dosServiceId')).toMatch(
      /did you mean '1'\?/,
    );
    expect(errorAt({ ...valid, dosServiceId: '0' }, 'dosServiceId')).toMatch(/must not be 0/);
  });

  it.each([
    ['serviceName', { ...valid, serviceName: 'UTC\u009b31m' }],
    ['supplier', { ...valid, supplier: 'Supplier\u0085Ltd' }],
    ['serviceName', { ...valid, serviceName: 'tab\there' }],
    ['serviceName', { ...valid, serviceName: 'trailing tab\t' }],
    ['requester.name', { ...valid, requester: { ...requester, name: 'A\u001b[2J' } }],
    ['tccReference', { ...valid, tccReference: 'TCC\u007f' }],
    ['notes', { ...valid, notes: 'fine\nthen \u009b' }],
    ['notes', { ...valid, notes: 'escape \u001b[31m' }],
  ])('refuses C0 and C1 control characters in %s', (path, input) => {
    expect(errorAt(input, path)).toBe('must not contain control characters');
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
        { path: 'priority', message: 'is not a field of a configuration request' },
        { path: 'requester.role', message: 'is not a field of a configuration request' },
        { path: 'testDates.until', message: 'is not a field of a configuration request' },
      ]),
    );
  });

  it('refuses impossible calendar dates', () => {
    expect(errorAt({ ...valid, testDates: { from: '2027-02-30' } }, 'testDates.from')).toBe(
      "is not a real calendar date, got '2027-02-30'",
    );
    expect(errorAt({ ...valid, testDates: { from: '2027-13-01' } }, 'testDates.from')).toMatch(
      /not a real calendar date/,
    );
    expect(errorAt({ ...valid, testDates: { from: '1/3/2027' } }, 'testDates.from')).toMatch(
      /YYYY-MM-DD/,
    );
    // 2028 is a leap year.
    expect(parseConfigurationRequest({ ...valid, testDates: { from: '2028-02-29' } }).ok).toBe(
      true,
    );
  });

  it('refuses a test end before its start', () => {
    expect(
      errorAt({ ...valid, testDates: { from: '2027-03-02', to: '2027-03-01' } }, 'testDates.to'),
    ).toMatch(/on or after testDates\.from \(2027-03-02\)/);
  });

  it('refuses a bad ODS code, and upper-cases a good one', () => {
    expect(errorAt({ ...valid, odsCode: 'R8' }, 'odsCode')).toBe(
      "must be 3–12 letters or digits, got 'R8'",
    );
    expect(errorAt({ ...valid, odsCode: 'RR8-01' }, 'odsCode')).toMatch(/letters or digits/);
    const result = parseConfigurationRequest({ ...valid, odsCode: 'rr8' });
    expect(result.ok && result.request.odsCode).toBe('RR8');
  });

  it('refuses a bad requester email and a missing requester', () => {
    expect(
      errorAt({ ...valid, requester: { name: 'A', email: 'not-an-address' } }, 'requester.email'),
    ).toBe('must be a valid email address');
    const { requester: _omitted, ...withoutRequester } = valid;
    expect(errorAt(withoutRequester, 'requester')).toBe('is required');
  });

  it('names wrong types and the value received', () => {
    expect(errorAt({ ...valid, environment: 3 }, 'environment')).toMatch(/INT or PROD/);
    expect(errorAt({ ...valid, requester: 'alex' }, 'requester')).toMatch(/got string 'alex'/);
    expect(errorAt({ ...valid, dosServiceId: true }, 'dosServiceId')).toBeTruthy();
  });

  it('enforces lengths', () => {
    expect(errorAt({ ...valid, serviceName: 'x'.repeat(201) }, 'serviceName')).toBe(
      'must be at most 200 characters',
    );
    expect(errorAt({ ...valid, notes: 'x'.repeat(2001) }, 'notes')).toBe(
      'must be at most 2000 characters',
    );
    expect(errorAt({ ...valid, tccReference: 'x'.repeat(101) }, 'tccReference')).toBe(
      'must be at most 100 characters',
    );
    expect(errorAt({ ...valid, careConnectWaiver: 'x'.repeat(501) }, 'careConnectWaiver')).toBe(
      'must be at most 500 characters',
    );
  });

  it('refuses something that is not an object', () => {
    for (const input of [null, [], 'text', 42]) {
      expect(errorsFor(input)).toEqual([
        { path: '', message: 'a configuration request must be a JSON object' },
      ]);
    }
  });
});
