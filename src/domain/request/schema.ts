// The configuration request: its one definition. Types, the OpenAPI document, the form and the
// CSV columns all derive from this schema (CONTRACT.md, "A configuration request").
import { z } from 'zod';
import { isRealIsoDate } from '../dates.ts';

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
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_ANYWHERE = /[\u0000-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Control characters written as \uXXXX, so a value can be shown without acting on a terminal
 * (inside a JSON string that is the same character). With `keepLayout`, tab and line feed stay.
 */
export function escapeControls(text: string, { keepLayout = false } = {}): string {
  return text.replace(
    keepLayout ? CONTROL_BUT_LAYOUT : CONTROL_ANYWHERE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Show a received value in a message without letting it run on or break the line. */
export function quote(value: unknown): string {
  // JSON.stringify gives undefined for undefined, functions and symbols, whatever its type says.
  const text = typeof value === 'string' ? value : (JSON.stringify(value) as string | undefined);
  const shown = escapeControls(text ?? String(value));
  return `'${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}'`;
}

/**
 * One line of text, trimmed: line breaks and other control characters are checked before
 * trimming, so a trailing one is refused, not hidden.
 */
function lineOfText(error: string) {
  return z
    .string({ error })
    .refine((text) => !LINE_BREAK.test(text), 'must not contain line breaks')
    .refine(
      (text) => LINE_BREAK.test(text) || !CONTROL.test(text),
      'must not contain control characters',
    )
    .transform((text) => text.trim());
}

function singleLine(max: number) {
  return lineOfText('must be text').refine(
    (text) => text.length <= max,
    `must be at most ${max} characters`,
  );
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
  .union([lineOfText('must be 1–10 digits as text'), z.number()], {
    error: 'must be 1–10 digits as text',
  })
  .transform((value) => (typeof value === 'number' ? String(value) : value.replaceAll(' ', '')))
  .check((ctx) => {
    if (!/^\d{1,10}$/.test(ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `must be 1–10 digits, got ${quote(ctx.value)}`,
      });
    } else if (ctx.value.startsWith('0')) {
      const without = ctx.value.replace(/^0+/, '');
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: without
          ? `must not start with 0: DoS Service IDs have no leading zeros (did you mean '${without}'?)`
          : 'must not be 0: DoS Service IDs start with a digit from 1 to 9',
      });
    }
  });

const environment = lineOfText('must be INT or PROD').transform((value, ctx) => {
  const known = ENVIRONMENT_ALIASES[value.toLowerCase()];
  if (!known) {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `must be INT or PROD, got ${quote(value)}`,
    });
    return z.NEVER;
  }
  return known;
});

/** A host "under nhs.uk": nhs.uk itself or any subdomain of it (DOMAIN.md). */
export function isUnderNhsUk(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'nhs.uk' || host.endsWith('.nhs.uk');
}

// Text that parsers read differently (DOMAIN.md): WHATWG turns a backslash into a slash and drops
// tabs and invisible characters, where curl or Python keep them and may reach another host.
const BACKSLASH = /\\/;
const WHITESPACE = /[\s\p{Z}]/u;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/u;
/** The host as typed: plain ASCII letters, digits, dots and hyphens, and an optional port. */
const PLAIN_AUTHORITY = /^[A-Za-z0-9.-]+(:\d*)?$/;

// `char` is one matched character, so it always has a code point.
function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The host part of the URL as typed (after the scheme, up to the path). */
function typedAuthority(text: string): string {
  const rest = text.replace(/^[a-z][a-z0-9+.-]*:\/*/i, '');
  return rest.split(/[/?#]/, 1)[0] ?? '';
}

function endpointProblem(text: string, url: URL | undefined): string | undefined {
  if (BACKSLASH.test(text)) {
    return 'must not contain a backslash (\\): write the URL with forward slashes only';
  }
  const space = WHITESPACE.exec(text);
  if (space) return `must not contain spaces or tabs (found ${codePoint(space[0])})`;
  const invisible = INVISIBLE.exec(text);
  if (invisible) {
    return `must not contain control or invisible characters (found ${codePoint(invisible[0])})`;
  }
  if (!url) return `must be an absolute https URL, got ${quote(text)}`;
  if (url.protocol !== 'https:')
    return `must use https, got ${quote(url.protocol.replace(/:$/, ''))}`;
  if (url.username || url.password) return 'must not contain a user name or password';
  if (!PLAIN_AUTHORITY.test(typedAuthority(text))) {
    return `must have a host written in plain letters, digits, dots and hyphens, got ${quote(typedAuthority(text))}`;
  }
  if (!isUnderNhsUk(url.hostname))
    return `must have a host under nhs.uk, got ${quote(url.hostname)}`;
  // An empty fragment ('#') too: the serialised URL would keep it.
  if (url.href.includes('#')) return 'must not contain a fragment (#…): it is a FHIR base URL';
  return undefined;
}

/**
 * What is stored, emailed and attached is the URL as a WHATWG parser writes it back out (host in
 * lower case, a bare host ending in /), never the text as typed: the BaRS engineer copies it.
 */
const endpoint = singleLine(2048).transform((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const problem = endpointProblem(value, url);
  if (problem || !url) {
    ctx.issues.push({ code: 'custom', input: value, message: problem ?? 'is not a URL' });
    return z.NEVER;
  }
  return url.href;
});

const odsCode = lineOfText('must be 3–12 letters or digits')
  .transform((value) => value.toUpperCase())
  .check((ctx) => {
    if (!/^[A-Z0-9]{3,12}$/.test(ctx.value)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `must be 3–12 letters or digits, got ${quote(ctx.value)}`,
      });
    }
  });

// The receiver product's ID from its assurance, written in hexadecimal (BaRS guide, Endpoint
// Catalogue standard pattern: `http://fhir.nhs.uk/Id/product-id`, e.g. AAA000). Upper-cased so one
// product has one spelling; nothing but hex digits, so it cannot carry anything else into the email.
const PRODUCT_ID_MAX = 64;
const productId = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  lineOfText('must be hexadecimal digits as text')
    .transform((value) => value.toUpperCase())
    .check((ctx) => {
      if (!/^[0-9A-F]+$/.test(ctx.value) || ctx.value.length > PRODUCT_ID_MAX) {
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `must be 1–${PRODUCT_ID_MAX} hexadecimal digits (0–9, A–F), got ${quote(ctx.value)}`,
        });
      }
    })
    .optional(),
);

const isoDate = lineOfText('must be a date as YYYY-MM-DD').check((ctx) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `must be a date as YYYY-MM-DD, got ${quote(ctx.value)}`,
    });
  } else if (!isRealIsoDate(ctx.value)) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      message: `is not a real calendar date, got ${quote(ctx.value)}`,
    });
  }
});

const testDates = z.strictObject({ from: isoDate, to: isoDate.optional() }).check((ctx) => {
  const { from, to } = ctx.value;
  if (to !== undefined && to < from) {
    ctx.issues.push({
      code: 'custom',
      input: ctx.value,
      path: ['to'],
      message: `must be on or after testDates.from (${from}), got ${quote(to)}`,
    });
  }
});

const requester = z.strictObject({
  name: singleLine(200).refine((text) => text.length > 0, 'is required'),
  email: singleLine(254).pipe(z.email({ error: 'must be a valid email address' })),
  organisation: optionalSingleLine(200),
  phone: optionalSingleLine(40),
});

const notes = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z
    .string({ error: 'must be text' })
    .trim()
    .refine((text) => !CONTROL_IN_NOTES.test(text), 'must not contain control characters')
    .refine((text) => text.length <= 2000, 'must be at most 2000 characters')
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

/** A problem a user can fix, at the place they can fix it. */
export interface FieldError {
  path: string;
  message: string;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${quote(value)}`;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: path ? `${path}.${key}` : key,
        message: 'is not a field of a configuration request',
      }));
    }
    if (issue.code === 'invalid_type') {
      const received = issue.path.reduce<unknown>(
        (value, key) =>
          value !== null && typeof value === 'object'
            ? (value as Record<PropertyKey, unknown>)[key]
            : undefined,
        input,
      );
      if (received === undefined) return [{ path, message: 'is required' }];
      return [{ path, message: `${issue.message}, got ${describeType(received)}` }];
    }
    return [{ path, message: issue.message }];
  });
}

export type ParseResult =
  { ok: true; request: ConfigurationRequest } | { ok: false; errors: FieldError[] };

export function parseConfigurationRequest(input: unknown): ParseResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ path: '', message: 'a configuration request must be a JSON object' }],
    };
  }
  const result = configurationRequestSchema.safeParse(input);
  return result.success
    ? { ok: true, request: result.data }
    : { ok: false, errors: formatIssues(result.error.issues, input) };
}
