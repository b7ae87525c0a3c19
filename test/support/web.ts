// The HTTP server as tests use it: one fixture that opens a runtime on a fresh key prefix and
// builds the Fastify app around it (torn down after the file), and a valid answer to the form.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { openRuntime, type Runtime } from '../../src/wiring/runtime.ts';
import { buildServer, type ServerOptions } from '../../src/adapters/http/server.ts';
import { deletePrefix, testConfig, uniquePrefix } from './ecat.ts';

export interface WebFixture {
  readonly prefix: string;
  /** Set once the file's beforeAll has run. */
  runtime: Runtime;
  app: FastifyInstance;
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
    fixture.app = await buildServer(fixture.runtime, { logLevel: 'silent', ...options });
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
    dosServiceId: '2000072489',
    environment: 'INT',
    endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    odsCode: 'Y02494',
    'requester.name': 'Alex Morgan',
    'requester.email': 'alex.morgan@nhs.net',
    ...overrides,
  };
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
