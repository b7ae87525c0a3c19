// What a CLI command may touch: its arguments, standard streams and the environment it was given.
// Commands take this instead of reaching for process.*, so tests run them in-process.
import type { Readable, Writable } from 'node:stream';
import { EcatError } from '../../domain/errors.ts';
import { escapeControls } from '../../domain/request/text.ts';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Resolves when SIGINT or SIGTERM arrives; long-running commands await it, drain, then return 0. */
  waitForStop: () => Promise<string>;
  isTTY: boolean;
}

/** Exit codes fixed by CONTRACT.md. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

/** A usage mistake: printed as one line with the command's usage, exit 2. */
export class UsageError extends EcatError {
  override readonly name = 'UsageError';
  override readonly kind = 'invalid';
  override readonly retryable = false;
}

/**
 * Everything the CLI prints goes through here, its control characters but tab and line feed
 * written as \uXXXX: a stored value holding ESC or CSI would otherwise drive the reader's
 * terminal. Inside a JSON string that is the same character, so `--json` output stays exact.
 */
export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${escapeControls(line, { keepLayout: true })}\n`);
}
