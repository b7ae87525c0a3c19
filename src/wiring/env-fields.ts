// The kinds of environment variable ecat reads, as zod fields: each gives a one-line message
// naming what is wrong (config.ts prefixes the variable).
import { z } from 'zod';

export const optionalText = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.string().trim().optional(),
);

function urlWithProtocols(protocols: string[]) {
  return z
    .string()
    .trim()
    .refine(
      (text) => {
        try {
          const url = new URL(text);
          // 'redis:/user:pw@host' parses, as a path with no host: refused, not half-read.
          return protocols.includes(url.protocol) && url.host !== '';
        } catch {
          return false;
        }
      },
      `must be a URL starting ${protocols.map((p) => `${p}//`).join(' or ')} and naming a host`,
    );
}

export const optionalUrl = (protocols: string[]) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    urlWithProtocols(protocols).optional(),
  );

export const wholeNumber = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (value) => (value === undefined || value === '' ? String(fallback) : value),
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`),
  );

export const withDefault = (fallback: string) =>
  z.preprocess(
    (value) => (value === undefined || value === '' ? fallback : value),
    z.string().trim().min(1),
  );

export const emailAddress = (fallback: string) =>
  withDefault(fallback).refine(
    (text) => /^[^\r\n]*<?[^\s<>@]+@[^\s<>@]+>?$/.test(text),
    'must be an email address, optionally with a display name ("ecat <ecat@example.nhs.uk>")',
  );
