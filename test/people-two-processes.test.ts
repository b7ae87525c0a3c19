// Two `ecat serve` processes on one Redis, with no SIGNING_SECRETS configured, as two instances
// behind a load balancer: a person signed in through one is signed in on the other, a form loaded
// from one posts to the other, and a link in an email opens on either. The secret they sign with
// is made once in Redis by whichever starts first.
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEcat, type Child } from './support/child-worker.ts';
import { CHROMIUM, HAS_CHROMIUM } from './support/browser.ts';
import { deletePrefix, testEnv, uniquePrefix } from './support/ecat.ts';
import { oidcEnv, startOidcProvider, type TestProvider } from './support/oidc-provider.ts';
import { signInThroughProvider } from './support/people.ts';
import { freePort } from './support/redis-server.ts';
import { csrfOf, formFields } from './support/web.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import {
  openRuntime,
  startWorker,
  type Runtime,
  type RunningWorker,
} from '../src/wiring/runtime.ts';
import { testConfig } from './support/ecat.ts';
import { silentLog, until } from './support/delivery.ts';

describe.skipIf(!HAS_CHROMIUM)('two server processes share sessions, forms and links', () => {
  const prefix = uniquePrefix('people-two');
  const children: Child[] = [];
  let provider: TestProvider;
  let sink: SmtpSink;
  const worker = {} as { runtime: Runtime; running: RunningWorker };
  let one = '';
  let two = '';

  beforeAll(async () => {
    const [portOne, portTwo] = [await freePort(), await freePort()];
    one = `http://127.0.0.1:${portOne}`;
    two = `http://127.0.0.1:${portTwo}`;
    provider = await startOidcProvider([one, two]);
    sink = await startSmtpSink();
    for (const [port, base] of [
      [portOne, one],
      [portTwo, two],
    ] as const) {
      const env = testEnv(prefix, {
        ...oidcEnv(provider, base),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      });
      const server = spawnEcat(['serve'], env);
      children.push(server);
      await server.waitFor('HTTP server on', 30_000);
    }
    worker.runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url, PUBLIC_URL: one }));
    worker.running = startWorker(worker.runtime, silentLog);
  }, 60_000);

  afterAll(async () => {
    await worker.running.stop(1000);
    await worker.runtime.close();
    await sink.close();
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exit));
    await provider.close();
    await deletePrefix(prefix);
  });

  it('signs in through one and is signed in on the other; forms and email links cross between them', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const context = await browser.newContext();
      await context.route('https://assets.nhs.uk/**', (route) => route.abort());
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      await signInThroughProvider(page, one, 'ada', '/');
      const session = (await context.cookies(one)).find((c) => c.name === 'ecat_session');
      expect(session).toBeDefined();
      const cookie = `ecat_session=${session?.value ?? ''}`;

      // The other process knows the session: it shows the form, not the way to sign in.
      const form = await fetch(`${two}/`, {
        headers: { cookie, accept: 'text/html' },
        redirect: 'manual',
      });
      expect(form.status).toBe(200);
      expect(await form.text()).toContain('Ada Lovelace');

      // A form served by the first, posted to the second: its CSRF token holds there too.
      const served = await fetch(`${one}/`, { headers: { cookie } });
      const posted = await fetch(`${two}/`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(
          formFields({ _csrf: csrfOf(await served.text()), dosServiceId: '51000001' }),
        ).toString(),
      });
      expect(posted.status).toBe(303);
      const check = posted.headers.get('location') ?? '';
      expect(check).toMatch(/^\/check\//);

      // Check your answers from the second, Send request to the first.
      const checkPage = await fetch(`${two}${check}`, { headers: { cookie } });
      const sent = await fetch(`${one}${check}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfOf(await checkPage.text()) }).toString(),
      });
      expect(sent.status).toBe(303);
      const id = /\/requests\/(req-[^?]+)/.exec(sent.headers.get('location') ?? '')?.[1] ?? '';
      expect(id).not.toBe('');

      // A worker in a third process emails it; the link in the email opens on the second and is
      // used from there on the first.
      const mail = await until(
        () => sink.messages.find((m) => m.headers.get('x-ecat-request-id') === id),
        20_000,
        'the request email',
      );
      const link = new RegExp(`${one}(/link/[\\w-]+\\.[\\w-]+)`).exec(mail.text ?? '')?.[1];
      expect(link).toBeDefined();
      const confirmPage = await fetch(`${two}${link ?? ''}`);
      expect(confirmPage.status).toBe(200);
      const marked = await fetch(`${one}${link ?? ''}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrfOf(await confirmPage.text()) }).toString(),
      });
      expect(marked.status).toBe(303);
      expect((await worker.runtime.store.get(id))?.status).toBe('configured');
    } finally {
      await browser.close();
    }
  }, 60_000);
});
