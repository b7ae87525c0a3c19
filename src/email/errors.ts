// Mail failures classified once, in the adapter, so the worker decides from the type alone
// (STYLE.md: named errors for the edges).

/** The server refused for good (5xx): retrying would not help. */
export class PermanentMailError extends Error {
  override readonly name = 'PermanentMailError';
  constructor(
    message: string,
    readonly responseCode: number | undefined,
    readonly response: string,
  ) {
    super(message);
  }
}

/** Worth another try later: 4xx, timeouts, refused or dropped connections. */
export class TemporaryMailError extends Error {
  override readonly name = 'TemporaryMailError';
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly responseCode: number | undefined,
  ) {
    super(message);
  }
}
