// The HTTP server as tests use it: one fixture that opens a runtime on a fresh key prefix and
// builds the Fastify app around it (torn down after the file), a valid answer to the form, and a
// JSON POST to the API. Every server built here holds each API answer to the OpenAPI document.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { openRuntime, type Runtime } from '../../src/wiring/runtime.ts';
import {
  buildServer,
  type ServerDeps,
  type ServerOptions,
} from '../../src/adapters/http/server.ts';
import type { ResponseViolation } from '../../src/adapters/http/response-check.ts';
import { deletePrefix, testConfig, uniquePrefix, VALID_REQUESTER, VALID_SERVICE } from './ecat.ts';

export interface WebFixture {
  readonly prefix: string;
  /** Set once the file's beforeAll has run. */
  runtime: Runtime;
  app: FastifyInstance;
}

/** API answers the OpenAPI document does not describe, since the last check. */
const violations: ResponseViolation[] = [];

function expectNoViolations(when: string): void {
  const found = violations.splice(0);
  expect(
    found.map((v) => `${v.method} ${v.url} → ${v.status}: ${v.problem}`),
    `API answers ${when} that /api/openapi.json does not describe: fix the document (src/adapters/http/openapi-schemas.ts) or the answer`,
  ).toEqual([]);
}

// Registered in every test file that imports this module: the test whose answer drifted fails,
// and answers made outside a test (in beforeAll or afterAll) fail the file.
afterEach(() => {
  expectNoViolations('in this test');
});
afterAll(() => {
  expectNoViolations('outside a test');
});

/** Server options that check every /api/* answer (for startHttpServer; buildTestServer has them). */
export const checkedResponses: Pick<ServerOptions, 'validateResponses'> = {
  validateResponses: (violation) => violations.push(violation),
};

/**
 * buildServer for a test: silent, and with every /api/* answer checked against the document; a
 * test that gets an answer the document does not describe fails.
 */
export function buildTestServer(
  deps: ServerDeps,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  return buildServer(deps, { logLevel: 'silent', ...checkedResponses, ...options });
}

/** Call once at the top of a file: a runtime (with `env`) and its server, for every test. */
export function useServer(
  name: string,
  env: Record<string, string> = {},
  options: ServerOptions = {},
): WebFixture {
  const fixture = { prefix: uniquePrefix(name) } as WebFixture;
  beforeAll(async () => {
    fixture.runtime = await openRuntime(testConfig(fixture.prefix, env));
    fixture.app = await buildTestServer(fixture.runtime, options);
  });
  afterAll(async () => {
    await fixture.app.close();
    await fixture.runtime.close();
    await deletePrefix(fixture.prefix);
  });
  return fixture;
}

/** The form's fields for a valid request (service 2000072489 is CareConnect-configured). */
export function formFields(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...VALID_SERVICE,
    'requester.name': VALID_REQUESTER.name,
    'requester.email': VALID_REQUESTER.email,
    ...overrides,
  };
}

/**
 * POST /api/requests as a JSON client would: a string payload goes as it is, anything else as
 * JSON; `headers` add to the JSON content type, or replace it.
 */
export function postRequest(
  app: FastifyInstance,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/api/requests',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** The form's CSRF token in a page ('' when the page has none). */
export function csrfOf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
}

/** The API's JSON answers, in the parts the tests read. */
export interface ApiBody {
  id: string;
  status: string;
  existingId: string;
  next: string;
  items: unknown[];
  errors: { path?: string; message: string }[];
}
