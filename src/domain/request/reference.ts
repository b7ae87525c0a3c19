// The short reference people use for a request ("ECAT-7K2QX9"): read out on the phone, typed into
// a search box, quoted in an email. Derived from the request's id, so it needs no counter;
// Crockford's base32 leaves out I, L, O and U, which are read as other characters.
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERENCE = /^ECAT-[0-9A-HJKMNP-TV-Z]{6}$/;

export function referenceFor(requestId: string): string {
  const digest = createHash('sha256').update(requestId).digest();
  let text = '';
  for (let i = 0; i < 6; i += 1) text += ALPHABET.charAt((digest[i] ?? 0) % 32);
  return `ECAT-${text}`;
}

/** A reference as typed: any case, with or without the ECAT- prefix, O read as 0, I and L as 1. */
export function normaliseReference(typed: string): string | undefined {
  const text = typed
    .trim()
    .toUpperCase()
    .replace(/^ECAT-?/, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  const reference = `ECAT-${text}`;
  return REFERENCE.test(reference) ? reference : undefined;
}
