// Secrets are never printed: a URL in an error or a log line loses its user and password first.

/** A URL-ish text with whatever stands before its last `@` (user, password) replaced by ***. */
export function withoutCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/*)?.*@/i, '$1***@');
}
