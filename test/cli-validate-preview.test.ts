import { describe, expect, it } from 'vitest';
import { addDays, formatLongDate, londonDate } from '../src/domain/dates.ts';
import { ecat as runEcat } from './support/ecat.ts';

// No Redis on purpose: validate and preview must not need it.
const noRedis = { REDIS_URL: 'redis://127.0.0.1:1' };
const ecat = (args: string[], stdin = '', env: Record<string, string> = {}) =>
  runEcat(args, { ...noRedis, ...env }, stdin);

const today = londonDate(new Date());

function request(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    dosServiceId: '2000072489',
    environment: 'INT',
    endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    odsCode: 'Y02494',
    serviceName: 'Example Urgent Treatment Centre',
    requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net', phone: '0113 496 0000' },
    ...overrides,
  });
}

/** A service with no scheduling endpoint in the DoS snapshot (CareConnect `missing`). */
const NO_CARECONNECT = { dosServiceId: '1374839566', odsCode: 'RR8' };

/** `ecat validate -` or `ecat preview -`, the request (with `overrides`) on standard input. */
const onStdin = (command: 'validate' | 'preview', overrides?: Record<string, unknown>) =>
  ecat([command, '-'], request(overrides));

describe('ecat validate', () => {
  it('accepts the example request', async () => {
    const run = await ecat(['validate', 'config/example-request.json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^valid: DoS service 2000072489 \(INT\)/);
    expect(run.stdout).toMatch(/CareConnect: careconnect ASID:918999198993/);
  });

  it.each([
    [
      'letters in the service ID',
      { dosServiceId: '12ab' },
      'dosServiceId: DoS Service ID must only include numbers, like 2000072489',
    ],
    [
      '11 digits',
      { dosServiceId: '12345678901' },
      'dosServiceId: DoS Service ID must be 10 numbers or fewer',
    ],
    [
      'an http endpoint',
      { endpoint: 'http://bars-int-y02494.x.nhs.uk/' },
      'endpoint: Endpoint URL must start with https://',
    ],
    [
      'a non-nhs.uk endpoint',
      { endpoint: 'https://bars.example.com/' },
      'endpoint: Endpoint URL must be on a host under nhs.uk, not bars.example.com',
    ],
    [
      'credentials',
      { endpoint: 'https://u:p@bars-int-y02494.x.nhs.uk/' },
      'endpoint: Endpoint URL must not include a user name or password',
    ],
    [
      'CR/LF',
      { serviceName: 'UTC\r\nBcc: x@example.com' },
      'serviceName: Service name must be on one line',
    ],
    [
      'an unknown field',
      { priority: 'high' },
      'priority: priority is not a field of a configuration request',
    ],
    [
      '30 February',
      { testDates: { from: '2027-02-30' } },
      'testDates.from: First test date must be a real date',
    ],
    [
      'to before from',
      { testDates: { from: addDays(today, 10), to: addDays(today, 9) } },
      'testDates.to: Last test date must be the same as or after the first test date',
    ],
    [
      'PROD without TCC',
      { environment: 'PROD', endpoint: 'https://BaRS-PROD-Y02494.s.thirdparty.nhs.uk/' },
      'tccReference: Enter the TCC reference: a Prod request needs the Technical Conformance Certificate reference from Solution Assurance',
    ],
    [
      'a past date',
      { testDates: { from: addDays(today, -1) } },
      'testDates.from: First test date must be today or in the future',
    ],
    [
      'a bad ODS code',
      { odsCode: 'Y0-2494' },
      'odsCode: ODS code must be 3 to 12 letters or numbers, like Y02494',
    ],
    [
      'a service without CareConnect',
      NO_CARECONNECT,
      'careConnect: DoS has no scheduling endpoint for this service (DoS snapshot), so neither CareConnect nor GP Connect booking is configured. Fix the scheduling endpoint in DoS, or, if that is expected, tell us why as the CareConnect reason (careConnectWaiver)',
    ],
  ])('refuses %s, naming the path', async (_name, overrides, line) => {
    const run = await onStdin('validate', overrides);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toContain(`  ${line}`);
  });

  it('refuses malformed JSON with a clear line', async () => {
    const run = await ecat(['validate', '-'], '{"dosServiceId": ');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^refused: not valid JSON/);
  });

  it('accepts a missing CareConnect configuration with a waiver, as a warning', async () => {
    const run = await onStdin('validate', {
      ...NO_CARECONNECT,
      careConnectWaiver: 'Service does not take bookings',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/CareConnect: waived/);
    expect(run.stdout).toMatch(/warning: .*Service does not take bookings/);
  });

  it('gives exit 2 for a usage error', async () => {
    expect((await ecat(['validate'])).code).toBe(2);
    expect((await ecat(['validate', 'no-such-file.json'])).code).toBe(2);
    expect((await ecat(['validate', '-', '--bogus'])).code).toBe(2);
    expect((await ecat(['frobnicate'])).code).toBe(2);
  });

  it('gives exit 2 with one line for bad configuration', async () => {
    const run = await ecat(['validate', 'config/example-request.json'], '', { PORT: 'x' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      "ecat: configuration: PORT must be a whole number (got 'x')",
    ]);
  });

  it.each([
    [
      'validate',
      { BANK_HOLIDAYS_FILE: 'config/no-such-holidays.json' },
      /^ecat: configuration: BANK_HOLIDAYS_FILE: cannot read bank holidays from config\/no-such-holidays\.json: ENOENT/,
    ],
    [
      'validate',
      { DIRECTORY_FILE: 'README.md' },
      /^ecat: configuration: DIRECTORY_FILE: the DoS snapshot README\.md is not JSON/,
    ],
    [
      'validate',
      { DIRECTORY_URL_INT: 'https://int.api.service.nhs.uk/dos-search/FHIR/R4', APIM_KEY_ID: 'k1' },
      /^ecat: configuration: APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_TOKEN_URL must be set too/,
    ],
    [
      'worker',
      {
        CATALOGUE_URL_INT: 'https://int.api.service.nhs.uk/booking-and-referral/FHIR/R4',
        APIM_TOKEN_URL: 'https://int.api.service.nhs.uk/oauth2/token',
      },
      /^ecat: configuration: APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID must be set too/,
    ],
  ])(
    '%s: gives exit 2 with one line for a file or credentials it cannot use (%o)',
    async (command, env, line) => {
      const args = command === 'worker' ? ['worker'] : [command, 'config/example-request.json'];
      const run = await ecat(args, '', env);
      expect(run.code).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    },
  );
});

describe('ecat preview', () => {
  it('prints an [URGENT] email for testing two days out, with every fact', async () => {
    const from = addDays(today, 2);
    const run = await onStdin('preview', { testDates: { from } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const subject = /^Subject: (.*)$/m.exec(run.stdout)?.[1];
    expect(subject).toMatch(/^\[URGENT\] /);
    expect(subject).toContain('2000072489');
    expect(subject).toContain('INT');
    expect(run.stdout).toMatch(/^To: england\.bookingandreferralstandard@nhs\.net$/m);
    expect(run.stdout).toMatch(/^Cc: .*alex\.morgan@nhs\.net/m);
    expect(run.stdout).toMatch(/^Reply-To: .*alex\.morgan@nhs\.net/m);
    expect(run.stdout).toMatch(/^Message-ID: <req-[0-9a-f-]+@localhost>$/m);
    expect(run.stdout).toMatch(
      /^Attachment: endpoint-2000072489-INT\.json \(application\/fhir\+json\)$/m,
    );
    for (const fact of [
      'Example Urgent Treatment Centre',
      'Y02494',
      // The endpoint as parsed and written back out: host in lower case (DOMAIN.md).
      'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      formatLongDate(from),
      'ASID:918999198993',
      'Alex Morgan',
      '0113 496 0000',
      '35.197.254.55',
    ]) {
      expect(run.stdout).toContain(fact);
    }
    expect(run.stdout).toMatch(/working day/);
  });

  it('prints no prefix for testing sixty days out', async () => {
    const run = await onStdin('preview', { testDates: { from: addDays(today, 60) } });
    expect(run.code).toBe(0);
    const subject = /^Subject: (.*)$/m.exec(run.stdout)?.[1] ?? '';
    expect(subject).not.toMatch(/^\[/);
    expect(subject).toContain('2000072489');
  });

  it('shows the TCC reference for PROD', async () => {
    const run = await onStdin('preview', {
      environment: 'prod',
      endpoint: 'https://BaRS-PROD-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      tccReference: 'TCC-2026-0042',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('TCC-2026-0042');
    expect(run.stdout).toContain('34.89.0.111');
    expect(/^Subject: (.*)$/m.exec(run.stdout)?.[1]).toContain('PROD');
  });

  it('refuses a bad request with exit 1 and prints no email', async () => {
    const run = await onStdin('preview', { dosServiceId: 'abc' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });

  it('prints the raw MIME message with --raw', async () => {
    const run = await ecat(['preview', '-', '--raw'], request());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Content-Type: multipart\/mixed/m);
  });
});
