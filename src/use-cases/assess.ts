// Assessment: everything ecat decides about a request before anything is stored — the field
// rules, the domain rules, urgency and the CareConnect finding. `validate`, `preview` and intake
// all start here.
import { checkCareConnect } from './check-careconnect.ts';
import { isRefusingFinding } from '../domain/careconnect/finding.ts';
import type { Directory } from '../ports/directory.ts';
import { londonDate } from '../domain/dates.ts';
import type { AssessedRequest } from '../domain/request/record.ts';
import { checkRules } from '../domain/request/rules.ts';
import {
  fieldError,
  parseConfigurationRequest,
  type FieldError,
} from '../domain/request/schema.ts';
import { rateUrgency, type UrgencyThresholds } from '../domain/urgency.ts';
import type { WorkingCalendar } from '../domain/working-days.ts';

export interface AssessDeps {
  directory: Directory;
  calendar: WorkingCalendar;
  thresholds: UrgencyThresholds;
  now: () => Date;
}

export type Assessment =
  /** Malformed or failing the field rules (HTTP 400). */
  | { outcome: 'invalid'; errors: FieldError[] }
  /** Well-formed but refused by a domain rule or the CareConnect check (HTTP 422). */
  | { outcome: 'refused'; errors: FieldError[]; warnings: string[] }
  | ({ outcome: 'accepted' } & AssessedRequest);

export async function assessRequest(input: unknown, deps: AssessDeps): Promise<Assessment> {
  const parsed = parseConfigurationRequest(input);
  if (!parsed.ok) return { outcome: 'invalid', errors: parsed.errors };
  const { request } = parsed;
  const today = londonDate(deps.now());

  const rules = checkRules(request, {
    today,
    calendar: deps.calendar,
    minLeadWorkingDays: deps.thresholds.minLeadWorkingDays ?? deps.thresholds.urgentMaxWorkingDays,
  });
  // The directory is asked even when a rule already refuses, so the user learns everything at once.
  const careConnect = await checkCareConnect(
    deps.directory,
    {
      dosServiceId: request.dosServiceId,
      odsCode: request.odsCode,
      environment: request.environment,
    },
    request.careConnectWaiver,
  );
  const errors = [...rules.refusals];
  if (isRefusingFinding(careConnect)) {
    errors.push(
      fieldError('careconnect-not-configured', 'careConnect', { text: careConnect.detail }),
    );
  }
  const warnings = [...rules.warnings];
  if (careConnect.status === 'waived' || careConnect.status === 'unverified') {
    warnings.push(careConnect.detail);
  }
  if (errors.length > 0) return { outcome: 'refused', errors, warnings };

  const urgency = rateUrgency(request.testDates?.from, today, deps.calendar, deps.thresholds);
  return { outcome: 'accepted', request, urgency, careConnect, warnings };
}
