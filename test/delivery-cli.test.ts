// The request lifecycle through the `ecat` command line: submit, list, show, confirm and cancel
// in-process; exit 3 with one line when Redis is unreachable; and the README's quick start for
// real (`ecat start`, submit the example, an .eml in the outbox, `ecat show` tells its story).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/wiring/config.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { spawnEcat, type Child } from './support/child-worker.ts';
import {
  countKeys,
  deletePrefix,
  ecat,
  requestBody,
  testEnv,
  uniquePrefix,
} from './support/ecat.ts';
import { until } from './support/delivery.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const children: Child[] = [];
afterEach(() => {
  children.splice(0).forEach((child) => {
    child.kill();
  });
});
const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
});

function freshEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return testEnv(prefix, extra);
}

describe('the CLI lifecycle', () => {
  it('show and list print control characters escaped, in every field, notes included', async () => {
    const env = freshEnv('cli-controls');
    const submitted = await ecat(
      ['submit', '-', '--json'],
      env,
      JSON.stringify(requestBody({ dosServiceId: '6200000001', notes: 'first line\nsecond line' })),
    );
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    // What a mail server's reply or a record stored before today's rules may hold: ESC and CSI.
    const runtime = await openRuntime(loadConfig(env));
    try {
      await runtime.store.note(
        id,
        { actor: ACTORS.cli, event: 'note', reason: 'server said \u001b[2J\u009b31m red' },
        { warnings: ['warned \u0085 here \u007f'] },
      );
    } finally {
      await runtime.close();
    }
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    const control = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
    const shown = await ecat(['show', id], env);
    expect(shown.stdout).not.toMatch(control);
    expect(shown.stdout).toContain('server said \\u001b[2J\\u009b31m red');
    expect(shown.stdout).toContain('warned \\u0085 here \\u007f');
    expect(shown.stdout).toMatch(/ {2}notes:\n {4}first line\n {4}second line\n/);
    const json = await ecat(['show', id, '--json'], env);
    expect(json.stdout).not.toMatch(control);
    // Escaped the JSON way, so the parsed record is exactly what is stored.
    const record = JSON.parse(json.stdout) as RequestRecord;
    expect(record.history.at(-1)?.reason).toBe('server said \u001b[2J\u009b31m red');
    expect((await ecat(['list', '--json'], env)).stdout).not.toMatch(control);
  });

  it('submits, lists, shows, confirms, and refuses what is not allowed', async () => {
    const env = freshEnv('cli');
    const submitted = await ecat(['submit', '-', '--json'], env, JSON.stringify(requestBody()));
    expect(submitted.code).toBe(0);
    const body = JSON.parse(submitted.stdout) as { id: string };
    expect(body).toMatchObject({
      id: expect.stringMatching(/^req-/) as unknown,
      status: 'queued',
      urgency: 'routine',
      warnings: [],
    });

    const again = await ecat(['submit', '-'], env, JSON.stringify(requestBody()));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`duplicate of ${body.id}`);

    const refused = await ecat(
      ['submit', '-'],
      env,
      JSON.stringify(requestBody({ dosServiceId: '1374839566', odsCode: 'RR8' })),
    );
    expect(refused.code).toBe(1);

    const listed = await ecat(['list', '--json'], env);
    const items = (JSON.parse(listed.stdout) as { items: RequestRecord[] }).items;
    expect(items.map((item) => item.id)).toEqual([body.id]);
    expect((await ecat(['list'], env)).stdout).toContain(body.id);
    expect((await ecat(['list', '--status', 'bogus'], env)).code).toBe(2);

    const shown = await ecat(['show', body.id], env);
    expect(shown.stdout).toMatch(
      /history:\n.*queued.*accepted through cli.* \(by the command line\)/,
    );
    expect(JSON.parse((await ecat(['show', body.id, '--json'], env)).stdout)).toMatchObject({
      id: body.id,
      status: 'queued',
      careConnect: { status: 'careconnect' },
    });
    expect((await ecat(['show', 'req-missing'], env)).code).toBe(1);

    const confirmed = await ecat(['confirm', body.id], env);
    expect(confirmed).toMatchObject({ code: 0, stdout: `${body.id}: configured\n` });
    const cancelled = await ecat(['cancel', body.id], env);
    expect(cancelled.code).toBe(1);
    expect(cancelled.stderr).toMatch(/is configured; it cannot become cancelled/);
    expect((await ecat(['confirm', 'req-missing'], env)).code).toBe(1);
    expect(
      (JSON.parse((await ecat(['list', '--json'], env)).stdout) as { items: RequestRecord[] })
        .items,
    ).toEqual([]);
    const history = JSON.parse(
      (await ecat(['show', body.id, '--json'], env)).stdout,
    ) as RequestRecord;
    expect(history.history.map((entry) => entry.event)).toEqual(['queued', 'configured']);
    expect(history.history[1]?.details).toMatchObject({ by: 'hand (cli)' });
  });

  it('cancels an outstanding request, which frees the service for a new one', async () => {
    const env = freshEnv('cli-cancel');
    const first = JSON.parse(
      (await ecat(['submit', '-', '--json'], env, JSON.stringify(requestBody()))).stdout,
    ) as { id: string };
    expect((await ecat(['cancel', first.id], env)).code).toBe(0);
    expect((await ecat(['submit', '-'], env, JSON.stringify(requestBody()))).code).toBe(0);
  });
});

describe('Redis unreachable', () => {
  const down = (name: string) => testEnv(uniquePrefix(name), { REDIS_URL: 'redis://127.0.0.1:1' });

  it('submit exits 3 with one line and writes nothing', async () => {
    const env = down('down-submit');
    const run = await ecat(['submit', '-'], env, JSON.stringify(requestBody()));
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^ecat: Redis is unreachable at redis:\/\/127\.0\.0\.1:1/),
    ]);
    expect(await countKeys(env.QUEUE_PREFIX!)).toBe(0);
  });

  it.each([['list'], ['show', 'req-x'], ['confirm', 'req-x'], ['cancel', 'req-x'], ['worker']])(
    '%s exits 3 with one line',
    async (...args) => {
      const run = await ecat(args, down('down'));
      expect(run.code).toBe(3);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('ecat start with REDIS_URL set never starts a Redis of its own: exit 3', async () => {
    const run = await ecat(['start'], down('down-start'));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^ecat: Redis is unreachable/m);
  });
});

describe('the quick start', () => {
  it('ecat start sends a submitted request to the outbox, show tells its story, SIGTERM exits 0', async () => {
    const outbox = await mkdtemp(join(tmpdir(), 'ecat-quickstart-'));
    try {
      // No REDIS_URL, as in the README: the Redis answering on 127.0.0.1:6379 is used.
      const { REDIS_URL: _unset, ...env } = freshEnv('quickstart', {
        OUTBOX_DIR: outbox,
        PORT: '0',
        LOG_LEVEL: 'info',
      });
      const service = spawnEcat(['start'], env);
      children.push(service);
      await service.waitFor('worker started', 30_000);

      const submitted = await ecat(['submit', 'config/example-request.json'], env);
      expect(submitted.code).toBe(0);
      const id = /accepted: (req-\S+)/.exec(submitted.stdout)?.[1] ?? '';
      expect(id).not.toBe('');

      await until(async () => (await readdir(outbox)).some((name) => name.endsWith(`${id}.eml`)));
      await until(async () => (await ecat(['show', id], env)).stdout.includes('sent'));
      const shown = (await ecat(['show', id], env)).stdout;
      expect(shown).toMatch(new RegExp(`^${id}: sent`));
      expect(shown).toMatch(/queued .*accepted through cli/);
      expect(shown).toMatch(/sent .*written to .*\.eml/);

      service.process.kill('SIGTERM');
      expect(await service.exit).toBe(0);
    } finally {
      await rm(outbox, { recursive: true, force: true });
    }
  }, 60_000);
});
