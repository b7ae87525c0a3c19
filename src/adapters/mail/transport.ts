// Sending: SMTP through a pooled nodemailer transport, or, with no SMTP server configured, an
// .eml file per email in the outbox directory. Failures leave here classified (ports/mailer.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { OutgoingEmail } from '../../domain/email/message.ts';
import {
  PermanentMailError,
  TemporaryMailError,
  type Mailer,
  type RefusedRecipient,
} from '../../ports/mailer.ts';

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
  /** EENVELOPE when every recipient was refused: who, and each one's reply. */
  rejected?: unknown[];
  rejectedErrors?: RecipientFailure[];
}

/** nodemailer's error for one refused RCPT TO. */
interface RecipientFailure {
  recipient?: string;
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

/** The addresses of an address field ("Name <a@b>, c@d"), lower-cased for comparing. */
function addressesOf(field: string | undefined): Set<string> {
  if (field === undefined) return new Set();
  return new Set(
    addressparser(field, { flatten: true }).map((entry) => entry.address.toLowerCase()),
  );
}

/** Each refused address with the server's reply to its RCPT TO. */
function refusalsOf(
  rejected: readonly unknown[] | undefined,
  failures: readonly RecipientFailure[] | undefined,
): RefusedRecipient[] {
  return (rejected ?? []).map((entry) => {
    const address = String(entry);
    const failure = failures?.find((candidate) => candidate.recipient === address);
    return {
      address,
      responseCode: failure?.responseCode,
      response: failure?.response ?? failure?.message ?? 'refused, no reply recorded',
    };
  });
}

/**
 * Splits refusals into copies (Cc) and the rest. Only an address known to be a copy is forgiven:
 * one we cannot place counts as a To, so the BaRS mailbox is never assumed to have the email.
 */
function splitRefusals(email: OutgoingEmail, refused: RefusedRecipient[]) {
  const to = addressesOf(email.to);
  const cc = addressesOf(email.cc);
  const isCopy = ({ address }: RefusedRecipient) =>
    cc.has(address.toLowerCase()) && !to.has(address.toLowerCase());
  return { primary: refused.filter((r) => !isCopy(r)), copies: refused.filter(isCopy) };
}

/** A refused To recipient fails the email: for good on any 5xx, otherwise worth retrying. */
function primaryRefusalError(refused: RefusedRecipient[]): PermanentMailError | TemporaryMailError {
  const described = refused.map((r) => `${r.address}: ${r.response}`).join('; ');
  const permanent = refused.find((r) => r.responseCode !== undefined && r.responseCode >= 500);
  if (permanent) {
    return new PermanentMailError(
      `the mail server refused the email to ${described}`,
      permanent.responseCode,
      permanent.response,
      refused,
    );
  }
  return new TemporaryMailError(
    `the email could not be sent yet to ${described}`,
    'EENVELOPE',
    refused[0]?.responseCode,
    refused,
  );
}

/** nodemailer throws EENVELOPE when every recipient was refused: judged by the To recipients. */
function envelopeError(email: OutgoingEmail, error: unknown) {
  const failure = (error ?? {}) as SmtpFailure;
  if (failure.code !== 'EENVELOPE') return undefined;
  const { primary } = splitRefusals(email, refusalsOf(failure.rejected, failure.rejectedErrors));
  return primary.length > 0 ? primaryRefusalError(primary) : undefined;
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
      let info: {
        messageId: string;
        response: string;
        rejected: unknown[];
        rejectedErrors?: RecipientFailure[];
      };
      try {
        // nodemailer types the result `any`; these are the fields an SMTP send answers with.
        info = (await transport.sendMail(toMailOptions(email))) as typeof info;
      } catch (error) {
        throw envelopeError(email, error) ?? classifySmtpError(error);
      }
      // A partly refused recipient list still "succeeds" (LIBRARIES.md). A refused copy leaves the
      // email delivered and is reported; a refused To fails it, although any copy has gone by then
      // (SMTP cannot take DATA back), so a retry may copy the requester again, same Message-ID.
      const { primary, copies } = splitRefusals(
        email,
        refusalsOf(info.rejected, info.rejectedErrors),
      );
      if (primary.length > 0) throw primaryRefusalError(primary);
      return { messageId: info.messageId, response: info.response, refusedCopies: copies };
    },
    close() {
      transport.close();
      return Promise.resolve();
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
      return {
        messageId: email.messageId,
        response: `written to ${location}`,
        location,
        refusedCopies: [],
      };
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
