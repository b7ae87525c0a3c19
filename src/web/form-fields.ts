// The web form's fields, tied to the request schema: the labels are typed against the schema's
// keys, so a field added to the schema without a label (or the reverse) fails the typecheck.
import type { ConfigurationRequestInput, FieldError } from '../request/schema.ts';

type RequestField = keyof ConfigurationRequestInput;

export const FIELD_LABELS = {
  dosServiceId: {
    label: 'DoS Service ID',
    hint: 'Digits only, as shown in DoS, for example 2000072489',
  },
  environment: { label: 'Environment', hint: 'INT for provider testing, Prod for go-live' },
  endpoint: {
    label: 'Endpoint URL',
    hint: 'The receiver’s FHIR R4 base URL, https and under nhs.uk, for example https://BaRS-INT-Y02494.supplier.thirdparty.nhs.uk/fhir/R4',
  },
  odsCode: { label: 'ODS code', hint: 'The provider organisation’s ODS code' },
  serviceName: { label: 'Service name (optional)', hint: '' },
  supplier: { label: 'Supplier (optional)', hint: 'The system supplier hosting the endpoint' },
  testDates: {
    label: 'Proposed test dates (optional)',
    hint: 'For Prod, the Technical Go Live dates. They set the urgency.',
  },
  tccReference: {
    label: 'TCC reference',
    hint: 'Required for Prod: the Technical Conformance Certificate reference from Solution Assurance',
  },
  requester: { label: 'Your details', hint: 'The BaRS team will reply to you' },
  notes: { label: 'Notes (optional)', hint: '' },
  careConnectWaiver: {
    label: 'CareConnect waiver (optional)',
    hint: 'Only if the service’s CareConnect booking is missing or wrong in DoS and that is expected: say why',
  },
} satisfies Record<RequestField, { label: string; hint: string }>;

export type FormValues = Record<string, string>;

function trimmed(values: FormValues, name: string): string | undefined {
  const value = values[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Day, month and year boxes to YYYY-MM-DD; all empty is "no date"; anything else goes to the schema. */
function dateFrom(values: FormValues, name: string): string | undefined {
  const [day, month, year] = ['day', 'month', 'year'].map((part) =>
    trimmed(values, `${name}-${part}`),
  );
  if (day === undefined && month === undefined && year === undefined) return undefined;
  const pad = (text: string | undefined) => (text ?? '').padStart(2, '0');
  return `${year ?? ''}-${pad(month)}-${pad(day)}`;
}

/** The form's flat fields to the request's shape; blank fields are left out. */
export function requestFromForm(values: FormValues): Record<string, unknown> {
  const from = dateFrom(values, 'testDates-from');
  const to = dateFrom(values, 'testDates-to');
  const input: Record<string, unknown> = {};
  for (const name of [
    'dosServiceId',
    'environment',
    'endpoint',
    'odsCode',
    'serviceName',
    'supplier',
    'tccReference',
    'notes',
    'careConnectWaiver',
  ]) {
    const value = trimmed(values, name);
    if (value !== undefined) input[name] = value;
  }
  if (from !== undefined || to !== undefined) {
    input.testDates = { from: from ?? '', ...(to === undefined ? {} : { to }) };
  }
  const requester: Record<string, string> = {};
  for (const part of ['name', 'email', 'organisation', 'phone']) {
    const value = trimmed(values, `requester.${part}`);
    if (value !== undefined) requester[part] = value;
  }
  input.requester = requester;
  return input;
}

/** Where on the form an error belongs: the schema's path, with dates pointing at their day box. */
export function formAnchor(error: FieldError): string {
  if (error.path === 'testDates.from' || error.path === 'testDates') return 'testDates-from-day';
  if (error.path === 'testDates.to') return 'testDates-to-day';
  if (error.path === 'careConnect') return 'careConnectWaiver';
  return error.path || 'dosServiceId';
}

export function fieldLabel(path: string): string {
  const top = path.split('.')[0] as RequestField;
  const known = FIELD_LABELS[top]?.label.replace(' (optional)', '');
  if (path.startsWith('requester.')) return `Your ${path.slice('requester.'.length)}`;
  if (path === 'testDates.to') return 'Last test date';
  if (path === 'testDates.from') return 'First test date';
  if (path === 'careConnect') return 'CareConnect';
  return known ?? path;
}
