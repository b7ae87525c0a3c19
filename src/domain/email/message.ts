// An email ready for any transport (SMTP, the .eml outbox or `ecat preview`), its addresses, and the
// templates as the domain sees them: a name and a view model in, text out.

export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface OutgoingEmail {
  /** Fixed per request, so every retry carries the same Message-ID (CONTRACT.md). */
  messageId: string;
  from: string;
  to: string;
  cc?: string;
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  /** Threading for chasers: the original request's Message-ID. */
  inReplyTo?: string;
  references?: string;
  priority: 'high' | 'normal';
  /** Extra headers such as X-Ecat-Request-Id and X-Ecat-Template. */
  headers: Record<string, string>;
  attachments: EmailAttachment[];
}

/** The email templates (templates/*.njk); the Nunjucks adapter implements it. */
export interface TemplateRenderer {
  /** Renders `templates/<name>` (e.g. `configuration-request.text.njk`); throws on a missing value. */
  render(name: string, view: object): string;
  /** A short hash of a template family's files, kept with every email it produced. */
  version(family: string): string;
}

/** `<requestId@domain>`, the domain taken from the From address so it reads as ours. */
export function messageIdFor(requestId: string, fromAddress: string): string {
  const domain = /@([^\s<>@]+?)>?$/.exec(fromAddress.trim())?.[1] ?? 'ecat.local';
  return `<${requestId}@${domain}>`;
}

/** `"Name" <address>`, quoted so a name can never add a header or another recipient. */
export function mailbox(name: string, address: string): string {
  return `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
}
