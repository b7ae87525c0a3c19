// The configuration request: its one definition. Types, the OpenAPI document, the form and the
// CSV columns all derive from this schema (CONTRACT.md, "A configuration request").
import { z } from 'zod';
import { isRealIsoDate } from '../dates.ts';
import { endpointProblem } from './endpoint.ts';
import { ERROR_CODES, messageFor, type ErrorCode, type MessageDetail } from './messages.ts';

export const ENVIRONMENTS = ['INT', 'PROD'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const ENVIRONMENT_ALIASES: Record<string, Environment> = {
  int: 'INT',
  integration: 'INT',
  prod: 'PROD',
  production: 'PROD',
};

// Line breaks are the header-injection risk in an email; other control characters (C0, DEL and
// C1, whose CSI can drive a terminal) have no place in a single line either. Notes may break lines.
const LINE_BREAK = /[\r\n]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_IN_NOTES = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
/** A problem in a field, by its code in the message catalogue (messages.ts). */
interface Problem {
  code: ErrorCode;
  detail?: MessageDetail;
}

/** Adds a problem to a check's issues: the catalogue words it once the path is known. */
function problem(
  ctx: { value: unknown; issues: z.core.$ZodRawIssue[] },
  code: ErrorCode,
  detail: MessageDetail = {},
): void {
  const params: Problem = { code, detail };
  ctx.issues.push({ code: 'custom', input: ctx.value, message: code, params });
}

/**
 * One line of text, trimmed: line breaks and other control characters are checked before
 * trimming, so a trailing one is refused, not hidden.
 */
function lineOfText() {
  return z
    .string({ error: 'not-text' })
    .check((ctx) => {
      if (LINE_BREAK.test(ctx.value)) problem(ctx, 'one-line');
      else if (CONTROL.test(ctx.value)) problem(ctx, 'control-characters');
    })
    .transform((text) => text.trim());
}

function singleLine(max: number) {
  return lineOfText().check((ctx) => {
    if (ctx.value.length > max) problem(ctx, 'too-long', { max });
  });
}

/** Optional text: an empty value (a blank form field or CSV cell) counts as absent. */
function optionalSingleLine(max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    singleLine(max).optional(),
  );
}

// One service, one spelling (DOMAIN.md): spaces inside are dropped ("2000 072 489" is a way of
// reading it out) and a leading zero is refused, so "1", "01" and "0000000001" cannot be three.
const dosServiceId = z
  .union([lineOfText(), z.number()], { error: 'dos-service-id-digits' })
  .transform((value) => (typeof value === 'number' ? String(value) : value.replaceAll(' ', '')))
  .check((ctx) => {
    if (ctx.value === '') problem(ctx, 'required');
    else if (!/^\d+$/.test(ctx.value)) problem(ctx, 'dos-service-id-digits');
    else if (ctx.value.length > 10) problem(ctx, 'dos-service-id-length');
    else if (ctx.value.startsWith('0')) {
      const without = ctx.value.replace(/^0+/, '');
      problem(ctx, 'dos-service-id-leading-zero', without ? { text: without } : {});
    }
  });

const environment = lineOfText().transform((value, ctx) => {
  const known = ENVIRONMENT_ALIASES[value.toLowerCase()];
  if (!known) {
    problem({ value, issues: ctx.issues }, value === '' ? 'required' : 'environment');
    return z.NEVER;
  }
  return known;
});

/**
 * What is stored, emailed and attached is the URL as a WHATWG parser writes it back out (host in
 * lower case, a bare host ending in /), never the text as typed: the BaRS engineer copies it.
 */
const endpoint = singleLine(2048).transform((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const found = endpointProblem(value, url);
  if (found || !url) {
    problem({ value, issues: ctx.issues }, found?.code ?? 'endpoint-format', found?.detail);
    return z.NEVER;
  }
  return url.href;
});

const odsCode = lineOfText()
  .transform((value) => value.toUpperCase())
  .check((ctx) => {
    if (ctx.value === '') problem(ctx, 'required');
    else if (!/^[A-Z0-9]{3,12}$/.test(ctx.value)) problem(ctx, 'ods-code');
  });

// The receiver product's ID from its assurance, written in hexadecimal (BaRS guide, Endpoint
// Catalogue standard pattern: `http://fhir.nhs.uk/Id/product-id`, e.g. AAA000). Upper-cased so one
// product has one spelling; nothing but hex digits, so it cannot carry anything else into the email.
const PRODUCT_ID_MAX = 64;
const productId = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  lineOfText()
    .transform((value) => value.toUpperCase())
    .check((ctx) => {
      if (!/^[0-9A-F]+$/.test(ctx.value) || ctx.value.length > PRODUCT_ID_MAX) {
        problem(ctx, 'product-id', { max: PRODUCT_ID_MAX });
      }
    })
    .optional(),
);

/** The parts a date given as Y-M-D lacks, in words: "a month and year". */
function missingParts(year: string, month: string, day: string): string | undefined {
  const missing = [
    ...(day === '' ? ['day'] : []),
    ...(month === '' ? ['month'] : []),
    ...(year === '' ? ['year'] : []),
  ];
  if (missing.length === 0) return undefined;
  return missing.length === 1
    ? (missing[0] ?? '')
    : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1) ?? ''}`;
}

// A date is YYYY-MM-DD. The form sends its three boxes as Y-M-D with any of them empty, so a
// date missing a part, or with a short year, gets the message the NHS.UK date pattern asks for.
const isoDate = lineOfText().check((ctx) => {
  const parts = /^(\d*)-(\d*)-(\d*)$/.exec(ctx.value);
  if (!parts) {
    problem(ctx, ctx.value === '' ? 'required' : 'date-format');
    return;
  }
  const [, year = '', month = '', day = ''] = parts;
  const missing = missingParts(year, month, day);
  if (missing) problem(ctx, 'date-parts', { text: missing });
  else if (year.length !== 4) problem(ctx, 'date-year');
  else if (!/^\d{4}-\d{2}-\d{2}$/.test(ctx.value) || !isRealIsoDate(ctx.value)) {
    problem(ctx, 'date-real');
  }
});

const testDates = z.strictObject({ from: isoDate, to: isoDate.optional() }).check((ctx) => {
  const { from, to } = ctx.value;
  if (to !== undefined && to < from) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      path: ['to'],
      message: 'date-order',
      params: { code: 'date-order' } satisfies Problem,
    });
  }
});

const requester = z.strictObject({
  name: singleLine(200).check((ctx) => {
    if (ctx.value === '') problem(ctx, 'required');
  }),
  email: singleLine(254).check((ctx) => {
    if (ctx.value === '') problem(ctx, 'required');
    else if (!z.email().safeParse(ctx.value).success) problem(ctx, 'email');
  }),
  organisation: optionalSingleLine(200),
  phone: optionalSingleLine(40),
});

const notes = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z
    .string({ error: 'not-text' })
    .trim()
    .check((ctx) => {
      if (CONTROL_IN_NOTES.test(ctx.value)) problem(ctx, 'control-characters');
      else if (ctx.value.length > 2000) problem(ctx, 'too-long', { max: 2000 });
    })
    .optional(),
);

export const configurationRequestSchema = z.strictObject({
  dosServiceId,
  environment,
  endpoint,
  odsCode,
  serviceName: optionalSingleLine(200),
  supplier: optionalSingleLine(200),
  productId,
  testDates: testDates.optional(),
  tccReference: optionalSingleLine(100),
  requester,
  notes,
  careConnectWaiver: optionalSingleLine(500),
});

/** What a user sends (before normalisation). */
export type ConfigurationRequestInput = z.input<typeof configurationRequestSchema>;
/** A request that has passed the field rules: trimmed, upper-cased, environment resolved. */
export type ConfigurationRequest = z.output<typeof configurationRequestSchema>;

/** A problem a user can fix, at the place they can fix it, worded by the catalogue. */
export interface FieldError {
  path: string;
  message: string;
  /** The catalogue's code (messages.ts); absent only for a problem that is not the request's. */
  code?: ErrorCode;
}

/** A problem as the catalogue words it. */
export function fieldError(code: ErrorCode, path: string, detail?: MessageDetail): FieldError {
  return { path, code, message: messageFor(code, path, detail) };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object'
        ? (value as Record<PropertyKey, unknown>)[key]
        : undefined,
    input,
  );
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => fieldError('unknown-field', path ? `${path}.${key}` : key));
    }
    if (issue.code === 'custom') {
      const found = issue.params as Problem | undefined;
      if (found) return [fieldError(found.code, path, found.detail)];
    }
    if (valueAt(input, issue.path) === undefined) return [fieldError('required', path)];
    if (issue.code === 'invalid_type' && issue.expected === 'object') {
      return [fieldError('not-an-object', path)];
    }
    // A value of the wrong type: the schema's error names the code ('not-text' and the like).
    const code = (ERROR_CODES as readonly string[]).includes(issue.message)
      ? (issue.message as ErrorCode)
      : 'not-text';
    return [fieldError(code, path)];
  });
}

export type ParseResult =
  { ok: true; request: ConfigurationRequest } | { ok: false; errors: FieldError[] };

export function parseConfigurationRequest(input: unknown): ParseResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, errors: [fieldError('not-an-object', '')] };
  }
  const result = configurationRequestSchema.safeParse(input);
  return result.success
    ? { ok: true, request: result.data }
    : { ok: false, errors: formatIssues(result.error.issues, input) };
}
