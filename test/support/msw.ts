// msw for the NHS APIs the tests may not call: one server for a file, or for the describe block
// `useMsw` is called in (the hooks are registered where it is called).
import type { RequestHandler } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export interface MswOptions {
  /**
   * Run after each test, beside the unhandled-request check: puts shared state back and returns
   * lists that must be empty (`{ refused: [...] }`). One check, so that a failing one never leaves
   * the other's state to the next test.
   */
  afterEachTest?: () => Record<string, unknown[]>;
}

/**
 * An msw server with `handlers`, listening for the file (or describe block); a test adds its own
 * with `server.use(...)`, dropped after it. An unhandled request fails the test that made it: msw
 * turns it into a network error, which a retry loop could swallow or an adapter call "unreachable"
 * and carry on, so it is noted and checked after each test.
 */
export function useMsw(handlers: RequestHandler[] = [], options: MswOptions = {}): SetupServer {
  const server = setupServer(...handlers);
  const unhandled: string[] = [];
  server.events.on('request:unhandled', ({ request }) => {
    unhandled.push(`${request.method} ${request.url}`);
  });
  beforeAll(() => {
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterEach(() => {
    server.resetHandlers();
    const left = { unhandled: unhandled.splice(0), ...options.afterEachTest?.() };
    expect(left).toEqual(Object.fromEntries(Object.keys(left).map((name) => [name, []])));
  });
  afterAll(() => {
    server.close();
  });
  return server;
}
