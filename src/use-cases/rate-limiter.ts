// What paces calls to an API with a limit of its own (DoS Search allows 10 requests a second and
// answers 429 beyond that, DOMAIN.md): kept in Redis (adapters/redis/rate-limiter.ts), so every
// process sharing the API's limit counts against it together.
export interface RateLimiter {
  /**
   * Runs `call` once the pace allows one more; it counts against the pace from then until a
   * window after it has finished, so the API never sees more than the limit in any window.
   */
  run<T>(call: () => Promise<T>): Promise<T>;
}
