// The form's words and kinds of control, one entry per schema key: content a non-developer can
// edit. Typed against the schema's keys, so a field added to the schema without its wording fails
// the typecheck; form-fields.ts joins these to the schema.
import type { ConfigurationRequestInput, Environment } from '../../domain/request/schema.ts';

export type RequestField = keyof ConfigurationRequestInput;
export type RequesterField = keyof ConfigurationRequestInput['requester'];
export type TestDateField = keyof NonNullable<ConfigurationRequestInput['testDates']>;

export type Control = 'text' | 'radios' | 'dates' | 'textarea' | 'group' | 'date';

export interface Wording {
  label: string;
  hint?: string;
  control?: Control;
  /** NHS.UK input width class, e.g. `nhsuk-input--width-10`, and any of ours (ecat.css). */
  classes?: string;
  type?: string;
  autocomplete?: string;
  /** The keyboard a phone shows: `numeric` for digits (the schema strips spaces anyway). */
  inputmode?: 'numeric';
  /** Optional in the schema but required by a domain rule: no "(optional)" after the label. */
  conditional?: boolean;
  /**
   * Asked only for one answer of a radios field: shown inside that radio (NHS.UK conditional
   * reveal), and ignored when another answer is chosen.
   */
  revealedBy?: { field: RequestField; value: string };
}

export const WORDING = {
  dosServiceId: {
    label: 'DoS Service ID',
    hint: 'Digits only, as shown in DoS, for example 2000072489',
    classes: 'nhsuk-input--width-10',
    inputmode: 'numeric',
  },
  environment: {
    label: 'Environment',
    hint: 'INT for provider testing, Prod for go-live',
    control: 'radios',
  },
  endpoint: {
    label: 'Endpoint URL',
    hint: 'The receiver’s FHIR R4 base URL, https and under nhs.uk, for example https://BaRS-INT-Y02494.supplier.thirdparty.nhs.uk/fhir/R4',
    type: 'url',
  },
  odsCode: {
    label: 'ODS code',
    hint: 'The provider organisation’s ODS code',
    // Shown upper-case as typed, as ODS codes are written; the schema stores it upper-case.
    classes: 'nhsuk-input--width-10 ecat-input--uppercase',
  },
  serviceName: { label: 'Service name' },
  supplier: { label: 'Supplier', hint: 'The system supplier hosting the endpoint' },
  productId: {
    label: 'Product ID',
    hint: 'The receiver product’s ID from its assurance, in hexadecimal, for example AAA000',
    classes: 'nhsuk-input--width-20',
  },
  testDates: {
    label: 'Proposed test dates',
    hint: 'For Prod, the Technical Go Live dates. They set the urgency.',
    control: 'dates',
  },
  tccReference: {
    label: 'TCC reference',
    hint: 'Required for Prod: the Technical Conformance Certificate reference from Solution Assurance',
    // Required for Prod by a domain rule (rules.ts), so asked under the Prod radio.
    conditional: true,
    revealedBy: { field: 'environment', value: 'PROD' },
  },
  requester: { label: 'Your details', hint: 'The BaRS team will reply to you', control: 'group' },
  notes: { label: 'Notes', control: 'textarea' },
  careConnectWaiver: {
    label: 'CareConnect is not set up in DoS, and that is expected: tell us why',
    hint: 'For example, the service books through GP Connect until it moves to CareConnect in May',
    control: 'textarea',
  },
} satisfies Record<RequestField, Wording>;

export const REQUESTER_WORDING = {
  name: { label: 'Full name', autocomplete: 'name' },
  email: { label: 'Email address', type: 'email', autocomplete: 'email' },
  organisation: { label: 'Organisation', autocomplete: 'organization' },
  phone: {
    label: 'Phone',
    type: 'tel',
    autocomplete: 'tel',
    classes: 'nhsuk-input--width-20',
  },
} satisfies Record<RequesterField, Wording>;

export const TEST_DATE_WORDING = {
  from: { label: 'First test date', hint: 'For example, 15 3 2027', control: 'date' },
  to: { label: 'Last test date', control: 'date' },
} satisfies Record<TestDateField, Wording>;

export const ENVIRONMENT_CHOICES = {
  INT: 'INT (integration testing)',
  PROD: 'Prod (production)',
} satisfies Record<Environment, string>;
