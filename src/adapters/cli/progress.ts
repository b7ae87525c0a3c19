// Import progress: a bar redrawn in place on a terminal, a plain line every tenth otherwise (a CI
// log or a file must not fill with carriage returns).
import type { Writable } from 'node:stream';

export interface Progress {
  update(done: number, refused: number): void;
  /** Clears the bar (a terminal) so the summary starts on a clean line. */
  finish(): void;
}

const WIDTH = 30;
const REDRAW_EVERY_MS = 100;

export function createProgress(stream: Writable, total: number, isTTY: boolean): Progress {
  if (!isTTY) {
    let reported = 0;
    return {
      update(done, refused) {
        const step = Math.max(1, Math.ceil(total / 10));
        if (done === total || done - reported >= step) {
          reported = done;
          stream.write(`import: ${done}/${total} rows (${refused} refused)\n`);
        }
      },
      finish() {},
    };
  }
  let drawnAt = -Infinity;
  let drawn = false;
  return {
    update(done, refused) {
      const now = performance.now();
      if (done !== total && now - drawnAt < REDRAW_EVERY_MS) return;
      drawnAt = now;
      drawn = true;
      const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
      stream.write(`\r\x1b[2K${bar} ${done}/${total} rows · ${refused} refused`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
