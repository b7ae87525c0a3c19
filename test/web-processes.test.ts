// `ecat serve` and `ecat start` as real processes: loopback without credentials and a clean stop
// on SIGTERM; and `npm start`'s promise: a form post becomes an email in the outbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deletePrefix, testEnv, uniquePrefix } from './support/ecat.ts';
import { until } from './support/poll.ts';
import { freePort } from './support/redis-server.ts';
import { csrfOf, formFields } from './support/web.ts';

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
}

function ecatProcess(command: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['bin/ecat.js', command], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, stderr: () => stderr, exit };
}

describe('as processes', () => {
  it('ecat serve: loopback only without credentials, says so, stops cleanly on SIGTERM', async () => {
    const servePrefix = uniquePrefix('web-serve');
    const port = await freePort();
    const serve = ecatProcess(
      'serve',
      testEnv(servePrefix, { PORT: String(port), LOG_LEVEL: 'info' }),
    );
    try {
      // Refused until the server listens: a failed fetch is "not yet".
      const health = await until(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return response?.ok ? await response.json() : undefined;
        },
        20_000,
        'the server to answer /healthz',
      );
      expect(health).toEqual({ status: 'ok' });
      expect(serve.stderr()).toMatch(
        /access: no API_TOKEN, ADMIN_PASSWORD or sign-in, so listening on 127\.0\.0\.1 only and answering loopback names/,
      );
      serve.child.kill('SIGTERM');
      expect(await serve.exit).toBe(0);
    } finally {
      serve.child.kill('SIGKILL');
      await deletePrefix(servePrefix);
    }
  });

  it('a port already in use stops the start with one line naming PORT, exit 2', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    const busyPrefix = uniquePrefix('web-busy');
    try {
      const start = ecatProcess('start', testEnv(busyPrefix, { PORT: String(port) }));
      expect(await start.exit).toBe(2);
      expect(start.stderr().trim()).toBe(
        `ecat: configuration: PORT ${port} on 127.0.0.1 is already in use (EADDRINUSE)`,
      );
    } finally {
      await new Promise<void>((resolve) =>
        busy.close(() => {
          resolve();
        }),
      );
      await deletePrefix(busyPrefix);
    }
  });

  it('ecat start: a form post becomes an email in the outbox', async () => {
    const startPrefix = uniquePrefix('web-start');
    const outbox = await mkdtemp(join(tmpdir(), 'ecat-outbox-'));
    const port = await freePort();
    const start = ecatProcess(
      'start',
      testEnv(startPrefix, { PORT: String(port), OUTBOX_DIR: outbox, ADMIN_PASSWORD: 'pw' }),
    );
    const base = `http://127.0.0.1:${port}`;
    const basic = { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` };
    try {
      const form = await until(
        async () => {
          const response = await fetch(`${base}/`, { headers: basic }).catch(() => undefined);
          return response?.ok ? response.text() : undefined;
        },
        20_000,
        'the form',
      );
      const headers = { ...basic, 'content-type': 'application/x-www-form-urlencoded' };
      // Continue, then Send request on the check page; fetch follows each 303 as a browser does.
      const check = await fetch(`${base}/`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ _csrf: csrfOf(form), ...formFields() }),
      });
      expect(check.status).toBe(200);
      expect(check.url).toMatch(/\/check\/[A-Za-z0-9_-]{22}$/);
      const posted = await fetch(check.url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ _csrf: csrfOf(await check.text()) }),
      });
      expect(posted.status).toBe(200);
      const id = /\/requests\/(req-[0-9a-f-]{36})\?sent=1$/.exec(posted.url)?.[1];
      expect(id).toBeDefined();
      const file = await until(
        async () =>
          (await readdir(outbox).catch(() => [] as string[])).find((name) => name.endsWith('.eml')),
        20_000,
        'an email in the outbox',
      );
      const email = await readFile(join(outbox, file), 'utf8');
      expect(email).toContain('2000072489');
      expect(email).toContain(id);
      start.child.kill('SIGTERM');
      expect(await start.exit).toBe(0);
    } finally {
      start.child.kill('SIGKILL');
      await rm(outbox, { recursive: true, force: true });
      await deletePrefix(startPrefix);
    }
  });
});
