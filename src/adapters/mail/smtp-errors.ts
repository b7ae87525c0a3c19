// SMTP failures classified once (STYLE.md: named errors for the edges): a refusal of the BaRS
// mailbox is permanent, trouble worth another try is temporary, and the two answers Exchange
// Online (NHSmail) gives for "not now" are deferrals that cost the email no attempt
// (LIBRARIES.md): 432 4.3.2, too many connections for the mailbox, and 554 5.2.0 with
// SubmissionQuotaExceeded, the daily recipient quota used up.
import addressparser from 'nodemailer/lib/addressparser';
import type { OutgoingEmail } from '../../domain/email/message.ts';
import {
  MailDeferredError,
  PermanentMailError,
  TemporaryMailError,
  type RefusedRecipient,
} from '../../ports/mailer.ts';

/** How long each kind of "not now" waits. */
export interface DeferralDelays {
  /** After 432 4.3.2: the mailbox's other connections usually finish within seconds. */
  busyMs: number;
  /** After the daily quota answer: the mail queue pauses this long, then tries one email. */
  quotaMs: number;
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
export interface RecipientFailure {
  recipient?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

const BUSY = /^432[ -]|\b4\.3\.2\b/;
const QUOTA = /\b5\.2\.0\b.*SubmissionQuotaExceeded/is;

/** Exchange Online's "not now" answers, whatever command or greeting they came in reply to. */
function deferralOf(text: string, delays: DeferralDelays): MailDeferredError | undefined {
  if (QUOTA.test(text)) {
    return new MailDeferredError(
      `the mailbox's daily sending quota is used up (${text})`,
      'quota',
      delays.quotaMs,
      text,
    );
  }
  if (BUSY.test(text)) {
    return new MailDeferredError(
      `the mail server has too many connections from this mailbox (${text})`,
      'busy',
      delays.busyMs,
      text,
    );
  }
  return undefined;
}

/**
 * 5xx is permanent; 4xx, timeouts and connection trouble are worth retrying (RFC 5321); the
 * deferrals above are neither.
 */
export function classifySmtpError(
  error: unknown,
  delays: DeferralDelays,
): PermanentMailError | TemporaryMailError | MailDeferredError {
  const failure = (error ?? {}) as SmtpFailure;
  const text = failure.response ?? failure.message ?? String(error);
  const deferral = deferralOf(text, delays);
  if (deferral) return deferral;
  // Neither of these is the email's fault, whatever the code: tried again later, saying why.
  if (failure.code === 'ETLS') {
    return new TemporaryMailError(
      `no TLS with the mail server, and TLS is required (STARTTLS refused or the certificate not trusted), so nothing was sent: ${text}`,
      failure.code,
      failure.responseCode,
    );
  }
  if (failure.code === 'EAUTH') {
    return new TemporaryMailError(
      `the mail server refused the login: ${text}`,
      failure.code,
      failure.responseCode,
    );
  }
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
export function refusalsOf(
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
export function splitRefusals(email: OutgoingEmail, refused: RefusedRecipient[]) {
  const to = addressesOf(email.to);
  const cc = addressesOf(email.cc);
  const isCopy = ({ address }: RefusedRecipient) =>
    cc.has(address.toLowerCase()) && !to.has(address.toLowerCase());
  return { primary: refused.filter((r) => !isCopy(r)), copies: refused.filter(isCopy) };
}

/** A refused To recipient fails the email: for good on any 5xx, otherwise worth retrying. */
export function primaryRefusalError(
  refused: RefusedRecipient[],
): PermanentMailError | TemporaryMailError {
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

/**
 * nodemailer throws EENVELOPE when every recipient was refused: judged by the To recipients, a
 * "not now" among their replies first.
 */
export function envelopeError(email: OutgoingEmail, error: unknown, delays: DeferralDelays) {
  const failure = (error ?? {}) as SmtpFailure;
  if (failure.code !== 'EENVELOPE') return undefined;
  const { primary } = splitRefusals(email, refusalsOf(failure.rejected, failure.rejectedErrors));
  for (const refusal of primary) {
    const deferral = deferralOf(refusal.response, delays);
    if (deferral) return deferral;
  }
  return primary.length > 0 ? primaryRefusalError(primary) : undefined;
}
