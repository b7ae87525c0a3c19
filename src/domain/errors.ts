// The one error base (STYLE.md: one error base, mapped once per edge). Every named error in ecat
// says what kind of failure it is and whether trying again later could help; the HTTP server
// (adapters/http/errors.ts), the command line (adapters/cli/main.ts) and the worker
// (adapters/queues/workers.ts) each map the kind once, to a status, an exit code or a BullMQ
// outcome.

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

/** A setting is missing or wrong: the operator fixes the environment and starts again. */
export class ConfigError extends EcatError {
  override readonly name = 'ConfigError';
  override readonly kind = 'invalid';
  override readonly retryable = false;
}
