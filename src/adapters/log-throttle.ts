// One log line per kind of failure per interval, with how often it recurred: a worker that cannot
// reach Redis (or gets the same refusal in a loop) otherwise writes a line per attempt, megabytes a
// second, and buries everything else in the log.
import type { Logger } from 'pino';

export type ThrottledLog = (kind: string, fields: Record<string, unknown>, message: string) => void;

/** The kind of an error, for throttling: its code, or its reply's first word (READONLY, MOVED). */
export function errorKind(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  const message = error instanceof Error ? error.message : String(error);
  // A reply's code (READONLY, MOVED), else its first words: ids further on would make each its own.
  return /^[A-Z]{3,}\b/.exec(message)?.[0] ?? message.split(/\s+/).slice(0, 3).join(' ');
}

export function throttledLog(
  log: Logger,
  level: 'warn' | 'error',
  intervalMs = 10_000,
): ThrottledLog {
  const quiet = new Map<string, { repeats: number; last: string }>();
  return (kind, fields, message) => {
    const seen = quiet.get(kind);
    if (seen) {
      seen.repeats += 1;
      seen.last = message;
      return;
    }
    log[level]({ ...fields, kind }, message);
    const entry = { repeats: 0, last: message };
    quiet.set(kind, entry);
    // At the interval's end, one line says how often it came back meanwhile (if it did).
    setTimeout(() => {
      quiet.delete(kind);
      if (entry.repeats > 0) {
        log[level](
          { kind, repeats: entry.repeats, intervalMs },
          `${entry.last} (${entry.repeats} more like it in ${intervalMs / 1000} s)`,
        );
      }
    }, intervalMs).unref();
  };
}
