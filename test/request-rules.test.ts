import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRules } from '../src/domain/request/rules.ts';
import type { ConfigurationRequest } from '../src/domain/request/schema.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const calendar = calendarFromFeed(JSON.parse(readFileSync('config/bank-holidays.json', 'utf8')));
const context = { today: '2026-11-24', calendar };

const request: ConfigurationRequest = {
  dosServiceId: '2000072489',
  environment: 'INT',
  endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
  odsCode: 'Y02494',
  requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' },
};

describe('domain rules', () => {
  it('accepts a conventional INT request with no warnings', () => {
    expect(checkRules(request, context)).toEqual({ refusals: [], warnings: [] });
  });

  it('refuses PROD without a TCC reference, and accepts it with one', () => {
    const prod = {
      ...request,
      environment: 'PROD' as const,
      endpoint: 'https://BaRS-PROD-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    };
    expect(checkRules(prod, context).refusals).toEqual([
      {
        path: 'tccReference',
        message: expect.stringMatching(
          /required for PROD.*Technical Conformance Certificate/,
        ) as unknown,
      },
    ]);
    expect(checkRules({ ...prod, tccReference: 'TCC-2026-042' }, context).refusals).toEqual([]);
  });

  it('refuses a test date in the past (London), and accepts today', () => {
    expect(checkRules({ ...request, testDates: { from: '2026-11-23' } }, context).refusals).toEqual(
      [
        {
          path: 'testDates.from',
          message: 'is in the past: 2026-11-23 is before today (2026-11-24, Europe/London)',
        },
      ],
    );
    expect(checkRules({ ...request, testDates: { from: '2026-11-24' } }, context).refusals).toEqual(
      [],
    );
  });

  it('warns when the host does not follow the naming convention', () => {
    const { warnings } = checkRules(
      { ...request, endpoint: 'https://fhir.example-trust.nhs.uk/bars' },
      context,
    );
    expect(warnings).toEqual([expect.stringMatching(/does not follow the BaRS naming convention/)]);
  });

  it('warns when the INT/PROD marker disagrees with the environment', () => {
    const { warnings, refusals } = checkRules(
      {
        ...request,
        environment: 'PROD',
        tccReference: 'TCC-1',
        endpoint: 'https://bars-int-y02494.supplier.thirdparty.nhs.uk/fhir',
      },
      context,
    );
    expect(refusals).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/says INT but the request is for PROD/)]);
  });

  it('warns about a non-default port, a query and another ODS code in the host', () => {
    const { warnings } = checkRules(
      { ...request, endpoint: 'https://BaRS-INT-RR8.supplier.thirdparty.nhs.uk:8443/fhir?x=1' },
      context,
    );
    expect(warnings).toEqual([
      expect.stringMatching(/names ODS code RR8 but the request gives Y02494/),
      expect.stringMatching(/port 8443/),
      expect.stringMatching(/query string/),
    ]);
  });

  it('warns when a test date lies beyond the bank holiday data but within 24 months', () => {
    // The data runs to 2028-12-31; from today 2027-06-01 a test may be proposed up to 2029-06-01.
    const later = { ...context, today: '2027-06-01' };
    const { warnings, refusals } = checkRules(
      { ...request, testDates: { from: '2029-06-01' } },
      later,
    );
    expect(refusals).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/beyond the bank holiday data/)]);
  });
});

describe('test dates more than 24 months ahead', () => {
  // From today 2026-11-24 the last date a test can be proposed for is 2028-11-24.
  const refusalsFor = (testDates: { from: string; to?: string }, today = context.today) =>
    checkRules({ ...request, testDates }, { ...context, today }).refusals;

  it('accepts a first test date 24 months ahead and refuses the day after', () => {
    expect(refusalsFor({ from: '2028-11-24' })).toEqual([]);
    expect(refusalsFor({ from: '2028-11-25' })).toEqual([
      {
        path: 'testDates.from',
        message:
          'is more than 24 months ahead: 2028-11-25 is after 2028-11-24, the latest date a test can be proposed for',
      },
    ]);
  });

  it('accepts a last test date 24 months ahead and refuses the day after', () => {
    expect(refusalsFor({ from: '2027-01-04', to: '2028-11-24' })).toEqual([]);
    expect(refusalsFor({ from: '2027-01-04', to: '2028-11-25' })).toEqual([
      {
        path: 'testDates.to',
        message:
          'is more than 24 months ahead: 2028-11-25 is after 2028-11-24, the latest date a test can be proposed for',
      },
    ]);
  });

  it('refuses both dates at the end of the calendar, each by name', () => {
    expect(refusalsFor({ from: '9999-12-30', to: '9999-12-31' })).toEqual([
      {
        path: 'testDates.from',
        message:
          'is more than 24 months ahead: 9999-12-30 is after 2028-11-24, the latest date a test can be proposed for',
      },
      {
        path: 'testDates.to',
        message:
          'is more than 24 months ahead: 9999-12-31 is after 2028-11-24, the latest date a test can be proposed for',
      },
    ]);
  });

  it('counts from 29 February to the last day of February two years on', () => {
    expect(refusalsFor({ from: '2030-02-28' }, '2028-02-29')).toEqual([]);
    expect(refusalsFor({ from: '2030-03-01' }, '2028-02-29')).toEqual([
      {
        path: 'testDates.from',
        message:
          'is more than 24 months ahead: 2030-03-01 is after 2030-02-28, the latest date a test can be proposed for',
      },
    ]);
    expect(refusalsFor({ from: '2028-03-01', to: '2030-03-01' }, '2028-02-29')).toEqual([
      expect.objectContaining({ path: 'testDates.to' }),
    ]);
  });

  it('refuses a past first date and a far last date together', () => {
    expect(refusalsFor({ from: '2026-11-23', to: '2030-01-01' }).map((e) => e.path)).toEqual([
      'testDates.from',
      'testDates.to',
    ]);
  });
});
