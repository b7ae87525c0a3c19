// How the CLI words an assessment: findings a DoS lead reads at a terminal.
import type { Assessment } from '../../use-cases/assess.ts';
import type { FieldError } from '../../domain/request/schema.ts';

export function formatErrors(errors: FieldError[]): string[] {
  return errors.map((error) => `  ${error.path ? `${error.path}: ` : ''}${error.message}`);
}

export function describeAssessment(assessment: Assessment): string[] {
  if (assessment.outcome === 'invalid') {
    return [
      'invalid: the request does not meet the field rules',
      ...formatErrors(assessment.errors),
    ];
  }
  const warnings = assessment.warnings.map((warning) => `  warning: ${warning}`);
  if (assessment.outcome === 'refused') {
    return ['refused:', ...formatErrors(assessment.errors), ...warnings];
  }
  const { request, urgency, careConnect } = assessment;
  return [
    `valid: DoS service ${request.dosServiceId} (${request.environment}) at ${request.endpoint}`,
    `  urgency: ${urgency.level} (${urgency.reason})`,
    `  CareConnect: ${careConnect.status}${careConnect.address ? ` ${careConnect.address}` : ''}: ${careConnect.detail}`,
    ...warnings,
  ];
}
