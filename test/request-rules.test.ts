import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkRules } from '../src/domain/request/rules.ts';
import type { ConfigurationRequest } from '../src/domain/request/schema.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const calendar = calendarFromFeed(JSON.parse(readFileSync('config/bank-holidays.json', 'utf8')));
const context = { today: '2026-11-24', calendar, minLeadWorkingDays: 5 };

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
        code: 'tcc-reference-for-prod',
        message:
          'Enter the TCC reference: a Prod request needs the Technical Conformance Certificate reference from Solution Assurance',
      },
    ]);
    expect(checkRules({ ...prod, tccReference: 'TCC-2026-042' }, context).refusals).toEqual([]);
  });

  it('refuses a test date in the past (London), and accepts today', () => {
    expect(checkRules({ ...request, testDates: { from: '2026-11-23' } }, context).refusals).toEqual(
      [
        {
          path: 'testDates.from',
          code: 'date-past',
          message: 'First test date must be today or in the future',
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

  it('warns when the first test date is closer than our lead time, and not otherwise', () => {
    // Today is Tuesday 2026-11-24: Thursday 2026-11-26 is 2 working days ahead, 2026-12-08 is 10.
    const soon = checkRules({ ...request, testDates: { from: '2026-11-26' } }, context);
    expect(soon).toEqual({
      refusals: [],
      warnings: [
        'The first test date is in 2 working days: we ask for at least 5 working days, and the BaRS team may not make it.',
      ],
    });
    expect(checkRules({ ...request, testDates: { from: '2026-12-08' } }, context)).toEqual({
      refusals: [],
      warnings: [],
    });
    // The lead time is the context's: with 2 working days asked for, 2 is enough.
    expect(
      checkRules(
        { ...request, testDates: { from: '2026-11-26' } },
        { ...context, minLeadWorkingDays: 2 },
      ).warnings,
    ).toEqual([]);
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
        code: 'date-too-far',
        message:
          'First test date must be within the next 24 months, on or before Friday 24 November 2028',
      },
    ]);
  });

  it('accepts a last test date 24 months ahead and refuses the day after', () => {
    expect(refusalsFor({ from: '2027-01-04', to: '2028-11-24' })).toEqual([]);
    expect(refusalsFor({ from: '2027-01-04', to: '2028-11-25' })).toEqual([
      {
        path: 'testDates.to',
        code: 'date-too-far',
        message:
          'Last test date must be within the next 24 months, on or before Friday 24 November 2028',
      },
    ]);
  });

  it('refuses both dates at the end of the calendar, each by name', () => {
    expect(refusalsFor({ from: '9999-12-30', to: '9999-12-31' })).toEqual([
      {
        path: 'testDates.from',
        code: 'date-too-far',
        message:
          'First test date must be within the next 24 months, on or before Friday 24 November 2028',
      },
      {
        path: 'testDates.to',
        code: 'date-too-far',
        message:
          'Last test date must be within the next 24 months, on or before Friday 24 November 2028',
      },
    ]);
  });

  it('counts from 29 February to the last day of February two years on', () => {
    expect(refusalsFor({ from: '2030-02-28' }, '2028-02-29')).toEqual([]);
    expect(refusalsFor({ from: '2030-03-01' }, '2028-02-29')).toEqual([
      {
        path: 'testDates.from',
        code: 'date-too-far',
        message:
          'First test date must be within the next 24 months, on or before Thursday 28 February 2030',
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
