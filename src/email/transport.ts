// Sending: SMTP through a pooled nodemailer transport, or, with no SMTP server configured, an
// .eml file per email in the outbox directory. Failures leave here classified (errors.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { PermanentMailError, TemporaryMailError } from './errors.ts';
import type { OutgoingEmail } from './message.ts';

export interface DeliveryReceipt {
  messageId: string;
  /** The server's reply ("250 2.0.0 OK …"), or where the outbox wrote the file. */
  response: string;
  location?: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(email: OutgoingEmail): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}

function toMailOptions(email: OutgoingEmail): Mail.Options {
  return {
    messageId: email.messageId,
    from: email.from,
    to: email.to,
    ...(email.cc === undefined ? {} : { cc: email.cc }),
    ...(email.replyTo === undefined ? {} : { replyTo: email.replyTo }),
    ...(email.inReplyTo === undefined ? {} : { inReplyTo: email.inReplyTo }),
    ...(email.references === undefined ? {} : { references: email.references }),
    subject: email.subject,
    text: email.text,
    html: email.html,
    priority: email.priority,
    headers: email.headers,
    attachments: email.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
    })),
  };
}

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** 5xx is permanent; 4xx, timeouts and connection trouble are worth retrying (RFC 5321). */
export function classifySmtpError(error: unknown): PermanentMailError | TemporaryMailError {
  const failure = (error ?? {}) as SmtpFailure;
  const text = failure.response ?? failure.message ?? String(error);
  if (failure.responseCode !== undefined && failure.responseCode >= 500) {
    return new PermanentMailError(
      `the mail server refused the email: ${text}`,
      failure.responseCode,
      text,
    );
  }
  return new TemporaryMailError(
    `the email could not be sent yet: ${text}`,
    failure.code,
    failure.responseCode,
  );
}

function createSmtpMailer(smtpUrl: string, maxConnections: number): Mailer {
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    pool: true,
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 25)),
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? {
          auth: {
            user: decodeURIComponent(url.username),
            pass: decodeURIComponent(url.password),
          },
        }
      : {}),
    maxConnections,
    // Our queue retries; a pool that re-queues on its own would send duplicates (LIBRARIES.md).
    maxRequeues: 0,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    kind: 'smtp',
    async send(email) {
      let info: { messageId: string; response: string; rejected: unknown[] };
      try {
        info = await transport.sendMail(toMailOptions(email));
      } catch (error) {
        throw classifySmtpError(error);
      }
      if (info.rejected.length > 0) {
        // A partly refused recipient list still "succeeds": an unsent copy is a permanent failure.
        throw new PermanentMailError(
          `the mail server refused recipients: ${info.rejected.map(String).join(', ')}`,
          undefined,
          info.response,
        );
      }
      return { messageId: info.messageId, response: info.response };
    },
    async close() {
      transport.close();
    },
  };
}

const rawTransport = nodemailer.createTransport({ streamTransport: true, buffer: true });

/** The whole MIME message, as SMTP would carry it: for the outbox and `ecat preview --raw`. */
export async function renderRawMessage(email: OutgoingEmail): Promise<string> {
  const info = await rawTransport.sendMail(toMailOptions(email));
  return (info.message as Buffer).toString('utf8');
}

function createOutboxMailer(outboxDir: string, now: () => Date): Mailer {
  return {
    kind: 'outbox',
    async send(email) {
      const raw = await renderRawMessage(email);
      await mkdir(outboxDir, { recursive: true });
      const requestId = email.headers['X-Ecat-Request-Id'] ?? 'email';
      const stamp = now().toISOString().replace(/[:.]/g, '-');
      const location = join(outboxDir, `${stamp}-${requestId}.eml`);
      // Written under a temporary name first, so a reader never sees half a message.
      const partial = `${location}.partial`;
      await writeFile(partial, raw, 'utf8');
      await rename(partial, location);
      return { messageId: email.messageId, response: `written to ${location}`, location };
    },
    async close() {},
  };
}

export function createMailer(options: {
  smtpUrl?: string;
  outboxDir: string;
  now?: () => Date;
  /** Pooled SMTP connections: as many as the worker sends at once. */
  maxConnections?: number;
}): Mailer {
  return options.smtpUrl
    ? createSmtpMailer(options.smtpUrl, options.maxConnections ?? 4)
    : createOutboxMailer(options.outboxDir, options.now ?? (() => new Date()));
}
