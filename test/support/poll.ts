// The one way tests wait: poll a probe every 50 ms until it gives something (not false, null or
// undefined), and fail naming what was awaited. Never a fixed sleep, never an assertion on speed.

export async function until<T>(
  probe: () => Promise<T> | T,
  timeoutMs = 15_000,
  what: string | (() => string) = 'the condition',
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== false && value !== null && value !== undefined) {
      return value as Exclude<T, false | null | undefined>;
    }
    if (Date.now() > deadline) {
      const described = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
