// The one error base (STYLE.md: one error base, mapped once per edge). Every named error in ecat
// says what kind of failure it is and whether trying again later could help; the HTTP server
// (web/errors.ts), the command line (cli/main.ts) and the worker (queue/worker.ts) each map the
// kind once, to a status, an exit code or a BullMQ outcome.

/**
 * - `invalid`: the user's or operator's input or configuration is wrong; they can fix it.
 * - `unavailable`: a dependency (Redis, SMTP, the directory) cannot be reached or answer now.
 * - `refused`: a dependency answered, and the answer is no for good.
 * - `bug`: a fault in ecat itself.
 */
export type ErrorKind = 'invalid' | 'unavailable' | 'refused' | 'bug';

export abstract class EcatError extends Error {
  abstract readonly kind: ErrorKind;
  /** Whether the same operation, tried again later unchanged, may succeed. */
  abstract readonly retryable: boolean;
}

/** True for an EcatError saying a dependency cannot be reached or answer now. */
export function isUnavailable(error: unknown): error is EcatError {
  return error instanceof EcatError && error.kind === 'unavailable';
}
