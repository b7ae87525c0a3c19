// Every error a user can fix, as the NHS.UK service manual writes them: one catalogue keyed by
// error code, each message a whole sentence that names the field and says what to do ("Enter the
// DoS Service ID", "First test date must be a real date"). The form shows them as they are, the
// API sends them with their code and path, the CLI prints them. Nothing else words an error.
import { formatLongDate, type IsoDate } from '../dates.ts';

export const ERROR_CODES = [
  'required',
  'not-text',
  'one-line',
  'control-characters',
  'too-long',
  'unknown-field',
  'not-an-object',
  'dos-service-id-digits',
  'dos-service-id-length',
  'dos-service-id-leading-zero',
  'environment',
  'endpoint-format',
  'endpoint-https',
  'endpoint-spaces',
  'endpoint-backslash',
  'endpoint-hidden-character',
  'endpoint-credentials',
  'endpoint-host-characters',
  'endpoint-not-nhs-uk',
  'endpoint-fragment',
  'ods-code',
  'product-id',
  'email',
  'date-format',
  'date-parts',
  'date-year',
  'date-real',
  'date-past',
  'date-too-far',
  'date-order',
  'tcc-reference-for-prod',
  'careconnect-not-configured',
  'duplicate',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The field names people see, by request path; a message starts with one. */
export const FIELD_LABELS: Record<string, string> = {
  dosServiceId: 'DoS Service ID',
  environment: 'Environment',
  endpoint: 'Endpoint URL',
  odsCode: 'ODS code',
  serviceName: 'Service name',
  supplier: 'Supplier',
  productId: 'Product ID',
  testDates: 'Proposed test dates',
  'testDates.from': 'First test date',
  'testDates.to': 'Last test date',
  tccReference: 'TCC reference',
  requester: 'Your details',
  'requester.name': 'Full name',
  'requester.email': 'Email address',
  'requester.organisation': 'Organisation',
  'requester.phone': 'Phone',
  notes: 'Notes',
  careConnectWaiver: 'CareConnect reason',
};

export function labelOf(path: string): string {
  return FIELD_LABELS[path] ?? path;
}

/** "Enter …" for an empty required field: the NHS.UK pattern, with the field's own words. */
const ENTER: Record<string, string> = {
  dosServiceId: 'Enter the DoS Service ID',
  environment: 'Select the environment, INT or Prod',
  endpoint: 'Enter the endpoint URL',
  odsCode: 'Enter the ODS code',
  'testDates.from': 'Enter the first test date',
  tccReference: 'Enter the TCC reference',
  requester: 'Enter your name and email address',
  'requester.name': 'Enter your full name',
  'requester.email': 'Enter your email address',
};

/** What a message may need beyond its field: a limit, a suggestion, what was found. */
export interface MessageDetail {
  max?: number;
  /** A date part list ("a month and year"), a suggested value, a host, a character… */
  text?: string;
  date?: IsoDate;
  environment?: string;
  existing?: string;
}

const ENDPOINT_EXAMPLE = 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4';

export function messageFor(code: ErrorCode, path: string, detail: MessageDetail = {}): string {
  const label = labelOf(path);
  switch (code) {
    case 'required':
      return ENTER[path] ?? `Enter the ${label.toLowerCase()}`;
    case 'not-text':
      return `${label} must be text`;
    case 'one-line':
      return `${label} must be on one line`;
    case 'control-characters':
      return `${label} must not include control characters`;
    case 'too-long':
      return `${label} must be ${detail.max ?? 0} characters or fewer`;
    case 'unknown-field':
      return `${path} is not a field of a configuration request`;
    case 'not-an-object':
      return path === ''
        ? 'A configuration request must be a JSON object'
        : `${label} must be a JSON object with its own fields`;
    case 'dos-service-id-digits':
      return 'DoS Service ID must only include numbers, like 2000072489';
    case 'dos-service-id-length':
      return 'DoS Service ID must be 10 numbers or fewer';
    case 'dos-service-id-leading-zero':
      return detail.text
        ? `DoS Service ID must not start with 0 (did you mean ${detail.text}?)`
        : 'DoS Service ID must not be 0';
    case 'environment':
      return 'Environment must be INT or Prod';
    case 'endpoint-format':
      return `Enter the endpoint URL in the correct format, like ${ENDPOINT_EXAMPLE}`;
    case 'endpoint-https':
      return 'Endpoint URL must start with https://';
    case 'endpoint-spaces':
      return 'Endpoint URL must not include spaces';
    case 'endpoint-backslash':
      return 'Endpoint URL must use forward slashes (/), not backslashes';
    case 'endpoint-hidden-character':
      return `Endpoint URL must not include hidden characters (it has ${detail.text ?? 'one'})`;
    case 'endpoint-credentials':
      return 'Endpoint URL must not include a user name or password';
    case 'endpoint-host-characters':
      return 'Endpoint URL must have a host written in letters, numbers, dots and hyphens only';
    case 'endpoint-not-nhs-uk':
      return `Endpoint URL must be on a host under nhs.uk${detail.text ? `, not ${detail.text}` : ''}`;
    case 'endpoint-fragment':
      return 'Endpoint URL must not include a # part';
    case 'ods-code':
      return 'ODS code must be 3 to 12 letters or numbers, like Y02494';
    case 'product-id':
      return `Product ID must only include numbers and the letters A to F, ${detail.max ?? 64} characters or fewer`;
    case 'email':
      return 'Enter an email address in the correct format, like name@example.nhs.uk';
    case 'date-format':
      return `${label} must be a real date, like 2027-03-15`;
    case 'date-parts':
      return `${label} must include a ${detail.text ?? 'day, month and year'}`;
    case 'date-year':
      return 'Year must include 4 numbers';
    case 'date-real':
      return `${label} must be a real date`;
    case 'date-past':
      return `${label} must be today or in the future`;
    case 'date-too-far':
      return `${label} must be within the next 24 months${detail.date ? `, on or before ${formatLongDate(detail.date)}` : ''}`;
    case 'date-order':
      return 'Last test date must be the same as or after the first test date';
    case 'tcc-reference-for-prod':
      return 'Enter the TCC reference: a Prod request needs the Technical Conformance Certificate reference from Solution Assurance';
    case 'careconnect-not-configured':
      return `${detail.text ?? 'CareConnect is not set up in DoS for this service.'} Fix the scheduling endpoint in DoS, or, if that is expected, tell us why as the CareConnect reason (careConnectWaiver)`;
    case 'duplicate':
      return `There is already an open ${detail.environment ?? ''} request for this service: ${detail.existing ?? ''}`;
  }
}
