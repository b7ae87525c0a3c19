// The mailer port: what sending an email returns, and its failures as named errors, classified
// once in the adapter so the worker decides from the type alone (STYLE.md: named errors for the
// edges). Two adapters implement it: SMTP and the .eml outbox (adapters/mail/transport.ts).
import type { OutgoingEmail } from '../domain/email/message.ts';
import { EcatError } from '../domain/errors.ts';

/** One address the server answered RCPT TO with a refusal, and its reply ("550 5.1.1 …"). */
export interface RefusedRecipient {
  address: string;
  responseCode: number | undefined;
  response: string;
}

/** The server refused for good (5xx): retrying would not help. */
export class PermanentMailError extends EcatError {
  override readonly name = 'PermanentMailError';
  override readonly kind = 'refused';
  override readonly retryable = false;
  readonly responseCode: number | undefined;
  readonly response: string;
  /** The primary (To) recipients the server refused, when that is what failed. */
  readonly refused: readonly RefusedRecipient[];
  constructor(
    message: string,
    responseCode: number | undefined,
    response: string,
    refused: readonly RefusedRecipient[] = [],
  ) {
    super(message);
    this.refused = refused;
    this.responseCode = responseCode;
    this.response = response;
  }
}

/**
 * The server said "not now" in a way that is no failure of this email (NHSmail's 432 4.3.2, too
 * many connections; its daily quota's 554 5.2.0): the email waits `waitMs` without spending an
 * attempt, and for `quota` every email waits (the mail queue pauses).
 */
export class MailDeferredError extends EcatError {
  override readonly name = 'MailDeferredError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
  readonly scope: 'busy' | 'quota';
  readonly waitMs: number;
  readonly response: string;
  constructor(message: string, scope: 'busy' | 'quota', waitMs: number, response: string) {
    super(message);
    this.scope = scope;
    this.waitMs = waitMs;
    this.response = response;
  }
}

/** Worth another try later: 4xx, timeouts, refused or dropped connections. */
export class TemporaryMailError extends EcatError {
  override readonly name = 'TemporaryMailError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  /** The primary (To) recipients the server deferred, when that is what failed. */
  readonly refused: readonly RefusedRecipient[];
  constructor(
    message: string,
    code: string | undefined,
    responseCode: number | undefined,
    refused: readonly RefusedRecipient[] = [],
  ) {
    super(message);
    this.refused = refused;
    this.code = code;
    this.responseCode = responseCode;
  }
}

export interface DeliveryReceipt {
  messageId: string;
  /** The server's reply ("250 2.0.0 OK …"), or where the outbox wrote the file. */
  response: string;
  location?: string;
  /** Cc recipients the server refused while every To recipient was accepted: the email went. */
  refusedCopies: RefusedRecipient[];
}

/** The addresses of refused recipients, as a history entry's details give them ("a@b, c@d"). */
export function refusedAddresses(refused: readonly RefusedRecipient[]): string {
  return refused.map((recipient) => recipient.address).join(', ');
}

/** A history reason, then each refused copy: "…; the copy to x@y was refused: 550 …". */
export function withRefusedCopies(reason: string, receipt: DeliveryReceipt): string {
  return [
    reason,
    ...receipt.refusedCopies.map(
      (copy) => `the copy to ${copy.address} was refused: ${copy.response}`,
    ),
  ].join('; ');
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(email: OutgoingEmail): Promise<DeliveryReceipt>;
  close(): Promise<void>;
}
