// The endpoint URL's rules (DOMAIN.md): an https URL under nhs.uk, written so that every parser
// reads the same host. Text that parsers read differently is refused with the reason.
import { escapeControls } from './text.ts';
import type { ErrorCode, MessageDetail } from './messages.ts';

export interface EndpointProblem {
  code: ErrorCode;
  detail?: MessageDetail;
}

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

export function endpointProblem(text: string, url: URL | undefined): EndpointProblem | undefined {
  if (text === '') return { code: 'required' };
  if (BACKSLASH.test(text)) return { code: 'endpoint-backslash' };
  if (WHITESPACE.test(text)) return { code: 'endpoint-spaces' };
  const invisible = INVISIBLE.exec(text);
  if (invisible)
    return { code: 'endpoint-hidden-character', detail: { text: codePoint(invisible[0]) } };
  if (!/^https:\/\//i.test(text)) {
    return url || /^[a-z][a-z0-9+.-]*:/i.test(text)
      ? { code: 'endpoint-https' }
      : { code: 'endpoint-format' };
  }
  if (!url) return { code: 'endpoint-format' };
  if (url.username || url.password) return { code: 'endpoint-credentials' };
  if (!PLAIN_AUTHORITY.test(typedAuthority(text))) return { code: 'endpoint-host-characters' };
  if (!isUnderNhsUk(url.hostname)) {
    return { code: 'endpoint-not-nhs-uk', detail: { text: escapeControls(url.hostname) } };
  }
  // An empty fragment ('#') too: the serialised URL would keep it.
  if (url.href.includes('#')) return { code: 'endpoint-fragment' };
  return undefined;
}
