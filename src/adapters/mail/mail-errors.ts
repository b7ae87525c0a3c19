// Mail failures classified once, in the adapter, so the worker decides from the type alone
// (STYLE.md: named errors for the edges).
import { EcatError } from '../../domain/errors.ts';

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
  constructor(
    message: string,
    readonly responseCode: number | undefined,
    readonly response: string,
    /** The primary (To) recipients the server refused, when that is what failed. */
    readonly refused: readonly RefusedRecipient[] = [],
  ) {
    super(message);
  }
}

/** Worth another try later: 4xx, timeouts, refused or dropped connections. */
export class TemporaryMailError extends EcatError {
  override readonly name = 'TemporaryMailError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly responseCode: number | undefined,
    /** The primary (To) recipients the server deferred, when that is what failed. */
    readonly refused: readonly RefusedRecipient[] = [],
  ) {
    super(message);
  }
}
