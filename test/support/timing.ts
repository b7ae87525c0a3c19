// Counting over time, for tests of limits held across processes (the DoS Search pace, the mail
// rate): the most events that fell in any one window, wherever it starts.

/** The most of `times` (ms, sorted) in any window of `windowMs` starting at one of them. */
export function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last += 1) {
    while ((times[last] ?? 0) - (times[first] ?? 0) >= windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
