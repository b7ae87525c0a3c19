// An email ready for any transport: SMTP, the .eml outbox or `ecat preview`.

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
