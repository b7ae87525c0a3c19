// Domain rules beyond the request's shape (DOMAIN.md): what refuses a well-formed request (HTTP 422)
// and what only earns a warning that the user sees and the email repeats.
import { addMonths, type IsoDate } from '../dates.ts';
import {
  fieldError,
  type ConfigurationRequest,
  type Environment,
  type FieldError,
} from './schema.ts';
import type { WorkingCalendar } from '../working-days.ts';

export interface RuleContext {
  /** Today in Europe/London. */
  today: IsoDate;
  calendar: WorkingCalendar;
  /** Our lead time (DOMAIN.md): a first test date closer than this is accepted with a warning. */
  minLeadWorkingDays: number;
}

export interface RuleFindings {
  refusals: FieldError[];
  warnings: string[];
}

/** No onboarding is planned further out than this (DOMAIN.md "Urgency", CONTRACT.md). */
const MAX_MONTHS_AHEAD = 24;

// BaRS-INT-<ODS>.<Supplier>.thirdparty.nhs.uk, BaRS-PROD-<ODS>.<Supplier|Provider>…nhs.uk
const NAMING_CONVENTION = /^bars-(int|prod)-([a-z0-9]+)$/i;

/** Warnings about the endpoint URL: none of them refuses the request (our rule in DOMAIN.md). */
export function endpointWarnings(
  endpoint: string,
  environment: Environment,
  odsCode: string,
): string[] {
  const url = new URL(endpoint);
  const warnings: string[] = [];
  const firstLabel = url.hostname.split('.')[0] ?? '';
  const [, hostMarker, hostCode] = NAMING_CONVENTION.exec(firstLabel) ?? [];
  if (hostMarker === undefined || hostCode === undefined) {
    warnings.push(
      `The endpoint host '${url.hostname}' does not follow the BaRS naming convention BaRS-${environment}-<ODS>.<supplier>.thirdparty.nhs.uk.`,
    );
  } else {
    const marker = hostMarker.toUpperCase();
    if (marker !== environment) {
      warnings.push(
        `The endpoint host says ${marker} but the request is for ${environment}: check the endpoint is the ${environment} one.`,
      );
    }
    const hostOds = hostCode.toUpperCase();
    if (hostOds !== odsCode) {
      warnings.push(
        `The endpoint host names ODS code ${hostOds} but the request gives ${odsCode}.`,
      );
    }
  }
  if (url.port !== '') {
    warnings.push(
      `The endpoint uses port ${url.port}, not the https default 443: check the receiver's firewall allows the BaRS proxy on it.`,
    );
  }
  if (url.search !== '') {
    warnings.push('The endpoint has a query string; a FHIR base URL normally has none.');
  }
  return warnings;
}

export function checkRules(request: ConfigurationRequest, context: RuleContext): RuleFindings {
  const refusals: FieldError[] = [];
  const warnings = endpointWarnings(request.endpoint, request.environment, request.odsCode);

  if (request.environment === 'PROD' && request.tccReference === undefined) {
    refusals.push(fieldError('tcc-reference-for-prod', 'tccReference'));
  }

  const from = request.testDates?.from;
  const to = request.testDates?.to;
  // Same day of the month, or the month's last day: 2028-02-29 allows up to 2030-02-28.
  const latest = addMonths(context.today, MAX_MONTHS_AHEAD);
  if (from !== undefined) {
    if (from < context.today) {
      refusals.push(fieldError('date-past', 'testDates.from'));
    } else if (from > latest) {
      refusals.push(fieldError('date-too-far', 'testDates.from', { date: latest }));
    } else if (
      context.calendar.workingDaysBetween(context.today, from) < context.minLeadWorkingDays
    ) {
      const days = context.calendar.workingDaysBetween(context.today, from);
      warnings.push(
        `The first test date is ${days === 0 ? 'less than a working day away' : `in ${days} working day${days === 1 ? '' : 's'}`}: we ask for at least ${context.minLeadWorkingDays} working days, and the BaRS team may not make it.`,
      );
    } else if (from > context.calendar.covers.last) {
      warnings.push(
        `The test date ${from} is beyond the bank holiday data (to ${context.calendar.covers.last}); working days were counted without holidays.`,
      );
    }
  }
  if (to !== undefined && to > latest) {
    refusals.push(fieldError('date-too-far', 'testDates.to', { date: latest }));
  }
  return { refusals, warnings };
}
