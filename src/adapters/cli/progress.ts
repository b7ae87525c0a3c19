// Import progress: a bar redrawn in place on a terminal, a plain line every tenth otherwise (a CI
// log or a file must not fill with carriage returns). Standard input has no total known up front:
// then the terminal shows a count, and a log a line every EVERY_ROWS rows.
import type { Writable } from 'node:stream';

export interface Progress {
  update(done: number, refused: number): void;
  /** Takes the bar off the line, so other output can be written; the next update redraws it. */
  clear(): void;
  /** Clears the bar (a terminal) so the summary starts on a clean line. */
  finish(): void;
}

const WIDTH = 30;
const REDRAW_EVERY_MS = 100;
/** With no total, a log gets a line this often. */
const EVERY_ROWS = 1000;

function logProgress(stream: Writable, total: number | undefined): Progress {
  let reported = 0;
  let last = { done: 0, refused: 0 };
  const write = (done: number, refused: number) => {
    reported = done;
    stream.write(
      `import: ${done}${total === undefined ? '' : `/${total}`} rows (${refused} refused)\n`,
    );
  };
  return {
    update(done, refused) {
      last = { done, refused };
      const step = total === undefined ? EVERY_ROWS : Math.max(1, Math.ceil(total / 10));
      if (done === total || done - reported >= step) write(done, refused);
    },
    clear() {},
    finish() {
      // With a total the last line was written when the count reached it.
      if (total === undefined && last.done > reported) write(last.done, last.refused);
    },
  };
}

export function createProgress(
  stream: Writable,
  total: number | undefined,
  isTTY: boolean,
): Progress {
  if (!isTTY) return logProgress(stream, total);
  let drawnAt = -Infinity;
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
    drawnAt = -Infinity;
  };
  return {
    update(done, refused) {
      const now = performance.now();
      if (done !== total && now - drawnAt < REDRAW_EVERY_MS) return;
      drawnAt = now;
      drawn = true;
      if (total === undefined) {
        stream.write(`\r\x1b[2K${done} rows · ${refused} refused`);
        return;
      }
      const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
      stream.write(`\r\x1b[2K${bar} ${done}/${total} rows · ${refused} refused`);
    },
    clear,
    finish: clear,
  };
}
