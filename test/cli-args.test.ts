// The command line as other command lines behave: `--help` for ecat and each command (exit 0, on
// standard output), a mistake in the arguments told in one line with exit 2 before anything runs,
// and the production rule: a service is not started without REDIS_URL when NODE_ENV=production.
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, usage } from '../src/adapters/cli/main.ts';
import type { CliIo } from '../src/adapters/cli/io.ts';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { acceptMany, deletePrefix, ecat, testEnv, uniquePrefix } from './support/ecat.ts';

const COMMANDS = [...usage().matchAll(/^ {2}ecat ([\w-]+)/gm)].map((match) => match[1]!);
/** Nothing answers here: a command that reached Redis would end with exit 3, not 2. */
const NO_REDIS = { REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' };
const PRODUCTION_LINE =
  'ecat: configuration: REDIS_URL (or REDIS_SENTINELS, or REDIS_CLUSTER_NODES) must be set in production (NODE_ENV=production)';

const prefixes: string[] = [];
afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
});

/** Exit 2 and exactly this one line on standard error, nothing on standard output. */
async function expectUsageError(
  args: string[],
  line: string,
  env: Record<string, string> = NO_REDIS,
): Promise<void> {
  const run = await ecat(args, env);
  expect(run).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
}

describe('--help', () => {
  it('ecat --help lists every command, one line each, on standard output', async () => {
    expect(COMMANDS).toEqual([
      'validate',
      'preview',
      'submit',
      'import',
      'list',
      'show',
      'export',
      'archive',
      'confirm',
      'cancel',
      'migrate-keys',
      'worker',
      'serve',
      'start',
    ]);
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await ecat(args, NO_REDIS);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toBe(`${usage()}\n`);
    }
  });

  it.each(COMMANDS)(
    'ecat %s --help: its usage, what it does, its options and exit codes',
    async (name) => {
      const run = await ecat([name, '--help'], NO_REDIS);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(new RegExp(`^usage: ecat ${name}\\b`));
      expect(run.stdout).toMatch(/^options:\n(?:.*\n)*? {2}-h, --help +show this help$/m);
      expect(run.stdout).toMatch(
        /^exit codes:\n(?:.*\n)* {2}0 {2}.+\n(?:.*\n)* {2}2 {2}a usage error/m,
      );
      // -h and `ecat help NAME` answer the same, and the help wins over a missing argument.
      expect((await ecat([name, '-h'], NO_REDIS)).stdout).toBe(run.stdout);
      expect((await ecat(['help', name], NO_REDIS)).stdout).toBe(run.stdout);
    },
  );

  it('each option appears in the usage line and the options with its description', async () => {
    const { stdout } = await ecat(['list', '--help'], NO_REDIS);
    expect(stdout).toMatch(/^usage: ecat list \[--status S\] \[--limit N\] \[--json\]$/m);
    expect(stdout).toMatch(
      /^ {2}-s, --status S +which requests: outstanding, all, .*\(default outstanding\)$/m,
    );
    expect(stdout).toMatch(
      /^ {2}-n, --limit N +at most N requests, from 1 to 500 \(default 500\)$/m,
    );
    expect(stdout).toMatch(/^ {2}3 {2}Redis is unreachable$/m);
    expect((await ecat(['submit', '--help'], NO_REDIS)).stdout).toMatch(
      /^usage: ecat submit FILE \[--json\]$/m,
    );
  });

  it('ecat with no command prints the list on standard error: exit 2', async () => {
    const run = await ecat([], NO_REDIS);
    expect(run).toMatchObject({ code: 2, stdout: '', stderr: `${usage()}\n` });
  });
});

describe('a mistake in the arguments: exit 2, one line, nothing run', () => {
  it.each([
    [
      ['list', '--limit', 'abc'],
      "ecat list: --limit must be a whole number from 1 to 500 (got 'abc')",
    ],
    [['list', '--limit', '0'], "ecat list: --limit must be a whole number from 1 to 500 (got '0')"],
    [['list', '-n', '501'], "ecat list: --limit must be a whole number from 1 to 500 (got '501')"],
    [['list', '--limit'], 'ecat list: --limit needs a value'],
    [
      ['list', '--limit', '--json'],
      "ecat list: --limit needs a value, not '--json' (if that is the value, write --limit=--json)",
    ],
    [
      ['list', '--status', 'bogus'],
      "ecat list: --status must be one of outstanding, all, queued, sent, configured, failed, cancelled (got 'bogus')",
    ],
    [['list', '--json=yes'], 'ecat list: --json takes no value'],
    [['list', 'extra'], "ecat list: unexpected argument 'extra'"],
    [['show'], 'ecat show: missing ID: the request id (req-…), as `ecat list` shows it'],
    [['confirm', 'req-a', 'req-b'], "ecat confirm: unexpected argument 'req-b'"],
    [
      ['validate'],
      'ecat validate: missing FILE: the request as JSON: a file, or - for standard input',
    ],
    [['import', 'x.csv', '--report'], 'ecat import: --report needs a value'],
    [['frobnicate'], "ecat: unknown command 'frobnicate' (ecat --help lists them)"],
  ])('ecat %j', async (args, line) => {
    await expectUsageError(args, line);
  });

  it.each(COMMANDS)('ecat %s --bogus: an unknown option', async (name) => {
    await expectUsageError([name, 'req-x', '--bogus'], `ecat ${name}: unknown option --bogus`);
    await expectUsageError([name, '-x'], `ecat ${name}: unknown option -x`);
  });

  it('FILE may be - for standard input, and -- ends the options', async () => {
    const run = await ecat(['validate', '-', '--json'], NO_REDIS, '{}');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'invalid' });
    await expectUsageError(['validate', '--', '--json'], 'ecat validate: no such file: --json');
  });
});

describe('production: REDIS_URL must be set', () => {
  const production = { NODE_ENV: 'production', LOG_LEVEL: 'silent' };

  it.each([['start'], ['serve'], ['worker']])(
    'ecat %s stops with one configuration line, exit 2',
    async (name) => {
      await expectUsageError([name], PRODUCTION_LINE, production);
    },
  );

  it('with REDIS_URL set, production starts as before (here: exit 3, that Redis is away)', async () => {
    const run = await ecat(['worker'], { ...production, REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^ecat: Redis is unreachable/);
  });

  it('the one-shot commands are not services: the rule is not theirs', async () => {
    const run = await ecat(['validate', 'config/example-request.json'], production);
    expect(run).toMatchObject({ code: 0, stderr: '' });
  });

  it('ecat start --private-redis with REDIS_URL set is a usage error', async () => {
    await expectUsageError(
      ['start', '--private-redis'],
      'ecat start: --private-redis starts a Redis of its own: unset REDIS_URL to use it',
    );
  });

  it('ecat start --private-redis runs in production on the Redis at 127.0.0.1:6379, and stops on SIGTERM', async () => {
    const prefix = uniquePrefix('cli-private');
    prefixes.push(prefix);
    const { REDIS_URL: _unset, ...env } = testEnv(prefix, { ...production, PORT: '0' });
    const stderr = new PassThrough();
    const errors: string[] = [];
    stderr.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
    const io: CliIo = {
      stdin: Readable.from(['']),
      stdout: new PassThrough(),
      stderr,
      env,
      // Asked to stop as soon as it has started: the server and the worker then drain.
      waitForStop: () => Promise.resolve('SIGTERM'),
      isTTY: false,
    };
    expect(await runCli(['start', '--private-redis'], io)).toBe(0);
    expect(errors.join('')).toBe('');
  }, 30_000);
});

describe('ecat list --limit', () => {
  it('lists at most N, and says on standard error that there are more', async () => {
    const prefix = uniquePrefix('cli-limit');
    prefixes.push(prefix);
    const env = testEnv(prefix);
    const runtime = await openRuntime(loadConfig(env));
    try {
      await acceptMany(runtime, 3, 2_100_000_000);
    } finally {
      await runtime.close();
    }
    const json = await ecat(['list', '--limit', '2', '--json'], env);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { items: unknown[] }).items).toHaveLength(2);

    const text = await ecat(['list', '-n', '2'], env);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(3);
    expect(text.stderr).toBe('ecat list: the first 2 of 3 (--limit N, up to 500)\n');
    expect((await ecat(['list'], env)).stdout.trim().split('\n')).toHaveLength(4);
  });
});
