// People for the tests: an ecat that signs people in through the loopback OpenID provider
// (oidc-provider.ts), listening on a known port so the provider can send them back; a session
// made straight in the session store for tests about what each role may open; and a person
// signing in through the provider's own pages in Chromium.
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Person, Role } from '../../src/domain/people/person.ts';
import { createSessions } from '../../src/adapters/redis/people.ts';
import { SESSION_COOKIE } from '../../src/adapters/http/session-cookie.ts';
import { openRuntime, type Runtime } from '../../src/wiring/runtime.ts';
import { deletePrefix, testConfig, uniquePrefix } from './ecat.ts';
import { oidcEnv, PEOPLE, startOidcProvider, type TestProvider } from './oidc-provider.ts';
import { freePort } from './redis-server.ts';
import { buildTestServer } from './web.ts';

export interface SignInFixture {
  readonly prefix: string;
  runtime: Runtime;
  app: FastifyInstance;
  provider: TestProvider;
  /** Where ecat listens: http://127.0.0.1:<port>. */
  base: string;
}

/**
 * Call once at the top of a file: the provider, and an ecat listening that trusts it. `env` may be
 * a function, read when the server starts (for a folder another fixture makes in its beforeAll).
 */
export function useSignIn(
  name: string,
  env: Record<string, string> | (() => Record<string, string>) = {},
): SignInFixture {
  const fixture = { prefix: uniquePrefix(name) } as SignInFixture;
  beforeAll(async () => {
    const port = await freePort();
    fixture.base = `http://127.0.0.1:${port}`;
    fixture.provider = await startOidcProvider([fixture.base]);
    fixture.runtime = await openRuntime(
      testConfig(fixture.prefix, {
        ...oidcEnv(fixture.provider, fixture.base),
        ...(typeof env === 'function' ? env() : env),
      }),
    );
    fixture.app = await buildTestServer(fixture.runtime);
    await fixture.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await fixture.app.close();
    await fixture.runtime.close();
    await fixture.provider.close();
    await deletePrefix(fixture.prefix);
  });
  return fixture;
}

/** A test person by login name, as the provider names them. */
export function person(login: keyof typeof PEOPLE): Person {
  const known = PEOPLE[login];
  return {
    subject: login,
    name: known.name,
    email: known.email,
    ...('organisation' in known ? { organisation: known.organisation } : {}),
  };
}

/** A Cookie header for a session of this person with these roles, made in the session store. */
export async function sessionCookie(
  runtime: Runtime,
  who: Person,
  roles: readonly Role[],
): Promise<string> {
  const sessions = createSessions(runtime.redis, runtime.config.queuePrefix);
  const id = await sessions.create(
    { person: who, roles: [...roles], signedInAt: new Date().toISOString() },
    3600_000,
  );
  return `${SESSION_COOKIE}=${id}.${runtime.signer.sign('session', id)}`;
}

/**
 * Signs in on the provider's own pages: ecat sends the browser there, the person types their
 * login name (any password) and consents, and the provider sends them back to `path`.
 */
export async function signInThroughProvider(
  page: Page,
  base: string,
  login: keyof typeof PEOPLE,
  path = '/',
): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  // The provider asks for consent the first time this client asks for these scopes.
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  if (await consent.count()) await consent.first().click();
  await page.waitForURL((url) => url.href.startsWith(base));
}
