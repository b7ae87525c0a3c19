// The import's rate limiter on a clock of the test's own: at most N starts in any window, in
// arrival order, whatever the number of callers (DoS Search allows 10 requests a second).
import { describe, expect, it } from 'vitest';
import { createRateLimiter, type LimiterTime } from '../src/use-cases/rate-limiter.ts';

/** A clock that moves only when the limiter waits, so every start time is exact. */
function fakeTime(): LimiterTime & { at: number } {
  const time = {
    at: 0,
    now: () => time.at,
    async sleep(ms: number) {
      time.at += ms;
      await Promise.resolve();
    },
  };
  return time;
}

describe('the rate limiter', () => {
  it('starts at most 10 calls in any one-second window, in the order they asked', async () => {
    const time = fakeTime();
    const limiter = createRateLimiter(10, 1000, time);
    const starts: { caller: number; at: number }[] = [];
    await Promise.all(
      Array.from({ length: 95 }, (_, caller) =>
        limiter.take().then(() => starts.push({ caller, at: time.now() })),
      ),
    );
    expect(starts.map((start) => start.caller)).toEqual([...Array(95).keys()]);
    const times = starts.map((start) => start.at);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(10);
    }
    // Not slower than it must be: 95 starts fit in ten windows.
    expect(times.at(-1)! - times[0]!).toBeLessThan(10 * 1000);
    expect(times.slice(0, 10).every((t) => t === 0)).toBe(true);
  });
});
