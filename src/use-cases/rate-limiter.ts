// A sliding-window rate limiter: at most `perSecond` starts in any one-second window. The DoS
// Search API allows 10 requests a second and answers 429 beyond that (DOMAIN.md).
export interface RateLimiter {
  /** Resolves when one more call may start now. */
  take(): Promise<void>;
}

/** Time as the limiter sees it: a monotonic clock and a way to wait (a test passes its own). */
export interface LimiterTime {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const REAL_TIME: LimiterTime = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function createRateLimiter(
  perSecond: number,
  windowMs = 1000,
  time: LimiterTime = REAL_TIME,
): RateLimiter {
  // Start times of the last `perSecond` calls, oldest first (monotonic clock, not the wall clock).
  const starts: number[] = [];
  let tail: Promise<void> = Promise.resolve();

  async function admit(): Promise<void> {
    for (;;) {
      const now = time.now();
      let oldest = starts[0];
      while (oldest !== undefined && now - oldest >= windowMs) {
        starts.shift();
        oldest = starts[0];
      }
      if (oldest === undefined || starts.length < perSecond) {
        starts.push(now);
        return;
      }
      // +1 ms: timers may fire a fraction early, and the window must have fully passed.
      await time.sleep(windowMs - (now - oldest) + 1);
    }
  }

  return {
    take() {
      // Callers are admitted in arrival order, one decision at a time.
      const turn = tail.then(admit);
      tail = turn;
      return turn;
    },
  };
}
