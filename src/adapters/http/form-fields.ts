// The web form's fields, derived from the request schema: its keys, nesting and which fields are
// optional come from zod; the wording and the kind of control come from form-wording.ts. Also the
// way back: posted fields to the request's shape, and errors to the NHS.UK error summary.
import type { z } from 'zod';
import {
  configurationRequestSchema,
  ENVIRONMENTS,
  type FieldError,
} from '../../domain/request/schema.ts';
import {
  ENVIRONMENT_CHOICES,
  REQUESTER_WORDING,
  TEST_DATE_WORDING,
  WORDING,
  type Control,
  type RequesterField,
  type RequestField,
  type TestDateField,
  type Wording,
} from './form-wording.ts';

export type { Control } from './form-wording.ts';

export interface FormField {
  /** The schema path, e.g. `requester.email`. */
  path: string;
  /** The control's name and id: the schema path; a date's boxes are `<path with ->-day` etc. */
  name: string;
  label: string;
  hint?: string;
  control: Control;
  optional: boolean;
  classes?: string;
  type?: string;
  autocomplete?: string;
  inputmode?: string;
  /** Shown inside one radio of another field (NHS.UK conditional reveal): see `isAsked`. */
  revealedBy?: { field: string; value: string };
  /** A radio's `reveals` is the field shown inside it, rendered there rather than in its place. */
  choices?: { value: string; text: string; reveals?: FormField }[];
  children?: FormField[];
}

function fieldFrom(path: string, schema: z.ZodType, wording: Wording): FormField {
  const optional = schema.safeParse(undefined).success;
  const suffix = optional && !wording.conditional ? ' (optional)' : '';
  return {
    ...wording,
    path,
    name: wording.control === 'date' ? path.replaceAll('.', '-') : path,
    label: `${wording.label}${suffix}`,
    control: wording.control ?? 'text',
    optional,
  };
}

function deriveFields(): FormField[] {
  const shape = configurationRequestSchema.shape;
  return (Object.keys(shape) as RequestField[]).map((key) => {
    const field = fieldFrom(key, shape[key], WORDING[key]);
    if (key === 'environment') {
      field.choices = ENVIRONMENTS.map((value) => ({ value, text: ENVIRONMENT_CHOICES[value] }));
    } else if (key === 'requester') {
      const nested = shape.requester.shape;
      field.children = (Object.keys(nested) as RequesterField[]).map((part) =>
        fieldFrom(`requester.${part}`, nested[part], REQUESTER_WORDING[part]),
      );
    } else if (key === 'testDates') {
      const nested = shape.testDates.unwrap().shape;
      field.children = (Object.keys(nested) as TestDateField[]).map((part) =>
        fieldFrom(`testDates.${part}`, nested[part], TEST_DATE_WORDING[part]),
      );
    }
    return field;
  });
}

/** Each revealed field joined to the radio that shows it. */
function withReveals(fields: FormField[]): FormField[] {
  for (const field of fields) {
    if (!field.revealedBy) continue;
    const { field: parent, value } = field.revealedBy;
    const choice = fields
      .find((candidate) => candidate.path === parent)
      ?.choices?.find((option) => option.value === value);
    if (!choice) throw new Error(`${field.path} is revealed by ${parent}=${value}: no such radio`);
    choice.reveals = field;
  }
  return fields;
}

/**
 * A revealed field is asked only when its radio is chosen: an answer typed there before another
 * radio was chosen (hidden by the script, still posted) is not the user's answer any more.
 */
function isAsked(field: FormField, values: FormValues): boolean {
  return !field.revealedBy || values[field.revealedBy.field] === field.revealedBy.value;
}

/** Every field of a configuration request, in the schema's order. */
export const FORM_FIELDS: readonly FormField[] = withReveals(deriveFields());

const ALL_FIELDS = FORM_FIELDS.flatMap((field) => [field, ...(field.children ?? [])]);

export type FormValues = Record<string, string>;

/** The posted body as flat strings: a repeated name keeps its last value, anything else is dropped. */
export function formValues(body: unknown): FormValues {
  const values: FormValues = {};
  if (body === null || typeof body !== 'object') return values;
  for (const [name, value] of Object.entries(body)) {
    const last: unknown = Array.isArray(value) ? value.at(-1) : value;
    if (typeof last === 'string') values[name] = last;
  }
  return values;
}

function filled(values: FormValues, name: string): string | undefined {
  const value = values[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** A month as typed: a number, or its name or first three letters ("March", "mar"). */
function monthNumber(text: string): string {
  const named = MONTHS.findIndex((name) => text.length >= 3 && name.startsWith(text.toLowerCase()));
  return named >= 0 ? String(named + 1) : text;
}

/**
 * Day, month and year boxes to YYYY-MM-DD; all empty is no date. An empty box stays empty (the
 * schema then says which part is missing, as the NHS.UK date pattern asks); the schema judges
 * the rest.
 */
function dateFrom(values: FormValues, name: string): string | undefined {
  const [day, month, year] = ['day', 'month', 'year'].map((part) =>
    filled(values, `${name}-${part}`)?.trim(),
  );
  if (day === undefined && month === undefined && year === undefined) return undefined;
  const pad = (text: string | undefined) => (text ? text.padStart(2, '0') : '');
  return `${year ?? ''}-${pad(month === undefined ? undefined : monthNumber(month))}-${pad(day)}`;
}

/** The form's flat fields to the request's shape; blank fields are left out for the schema. */
export function requestFromForm(values: FormValues): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const field of FORM_FIELDS) {
    if (field.control === 'group' || field.control === 'dates') {
      const nested: Record<string, string> = {};
      for (const child of field.children ?? []) {
        const key = child.path.slice(field.path.length + 1);
        const value =
          child.control === 'date' ? dateFrom(values, child.name) : filled(values, child.name);
        if (value !== undefined) nested[key] = value;
      }
      // A group the schema requires is sent even when empty, so its own fields are reported.
      if (Object.keys(nested).length > 0 || !field.optional) input[field.path] = nested;
      continue;
    }
    const value = filled(values, field.name);
    if (value !== undefined && isAsked(field, values)) input[field.path] = value;
  }
  return input;
}

/** The id of the control an error belongs to (the day box for a date, NHS.UK pattern). */
export function anchorFor(path: string): string {
  // The CareConnect finding is not a field: the waiver is what the user can change.
  if (path === 'careConnect') return 'careConnectWaiver';
  const field =
    ALL_FIELDS.find((candidate) => candidate.path === path) ??
    ALL_FIELDS.find((candidate) => path.startsWith(`${candidate.path}.`));
  if (!field) return FORM_FIELDS[0]?.name ?? '';
  const target = field.children?.[0] ?? field;
  return target.control === 'date' ? `${target.name}-day` : target.name;
}

export interface FormErrors {
  /** Inline messages by control name (a date's by its `-day` box). */
  byName: Record<string, string>;
  /** The NHS.UK error summary's list; a problem with no field has no link. */
  summary: { text: string; href?: string }[];
}

export function formErrors(errors: readonly FieldError[]): FormErrors {
  const byName: Record<string, string> = {};
  const summary = errors.map((error) => {
    if (error.path === '') return { text: error.message };
    const anchor = anchorFor(error.path);
    // The catalogue's messages are whole sentences that name their field (messages.ts).
    const text = error.message;
    byName[anchor] ??= text;
    return { text, href: `#${anchor}` };
  });
  return { byName, summary };
}
