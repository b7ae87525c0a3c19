// `ecat` however people start it (issue: `npx ecat validate …` printed nothing and exited 0):
// npx in the project, npm exec from another folder, an install from the packed tarball, node on
// the bin; the shipped files found from the package; a closed pipe ends quietly.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/ecat.ts';
import { until } from './support/poll.ts';
import { freePort } from './support/redis-server.ts';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(PROJECT, 'config/example-request.json');
let elsewhere: string;
let badRequest: string;
const servePrefix = uniquePrefix('cli-entry-serve');

afterAll(async () => {
  await deletePrefix(servePrefix);
});

/** `ecat serve` from the installed bin answers /readyz on a free loopback port, then stops. */
async function expectServes(bin: string, cwd: string): Promise<void> {
  const port = await freePort();
  const server = spawn(bin, ['serve'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      REDIS_URL,
      QUEUE_PREFIX: servePrefix,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    const ready = await until(async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return answer?.status === 200 && answer;
    }, 20_000);
    expect(ready.status).toBe(200);
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    // No REDIS_URL, QUEUE_PREFIX or .env of ours: validate needs none of them.
    const child = spawn(command, args, { cwd, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function expectValid(result: Run): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^valid: DoS service 2000072489 \(INT\)/);
  expect(result.stdout).toMatch(/CareConnect: careconnect ASID:918999198993/);
}

function expectRefused(result: Run): void {
  expect(result.code).toBe(1);
  expect(result.stdout + result.stderr).toMatch(
    /dosServiceId: DoS Service ID must only include numbers, like 2000072489/,
  );
}

beforeAll(async () => {
  elsewhere = await mkdtemp(join(tmpdir(), 'ecat-elsewhere-'));
  badRequest = join(elsewhere, 'bad.json');
  const example = (await import(EXAMPLE, { with: { type: 'json' } })) as { default: object };
  await writeFile(badRequest, JSON.stringify({ ...example.default, dosServiceId: '12ab' }));
});

afterAll(async () => {
  await rm(elsewhere, { recursive: true, force: true });
});

describe('the ecat command, however it is started', () => {
  it('npx ecat in the project folder', async () => {
    expectValid(
      await run(
        'npx',
        ['--no-install', 'ecat', 'validate', 'config/example-request.json'],
        PROJECT,
      ),
    );
    expectRefused(await run('npx', ['--no-install', 'ecat', 'validate', badRequest], PROJECT));
  }, 60_000);

  it('npm exec --prefix <project> from another folder, its shipped files found from the package', async () => {
    // No config/ or templates/ here: the snapshot, holidays and templates come from the package.
    expect(await readdir(elsewhere)).toEqual(['bad.json']);
    expectValid(
      await run('npm', ['exec', '--prefix', PROJECT, '--', 'ecat', 'validate', EXAMPLE], elsewhere),
    );
    expectRefused(
      await run(
        'npm',
        ['exec', '--prefix', PROJECT, '--', 'ecat', 'validate', badRequest],
        elsewhere,
      ),
    );
    const preview = await run(
      'npm',
      ['exec', '--prefix', PROJECT, '--', 'ecat', 'preview', EXAMPLE],
      elsewhere,
    );
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/^Subject: .*2000072489/m);
  }, 60_000);

  it('node bin/ecat.js from another folder', async () => {
    expectValid(
      await run(process.execPath, [join(PROJECT, 'bin/ecat.js'), 'validate', EXAMPLE], elsewhere),
    );
  }, 30_000);

  it('an ecat installed from the packed tarball into a temporary prefix', async () => {
    // The build is there already (pretest): packed as it is, not built again under other tests.
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--pack-destination', elsewhere],
      PROJECT,
    );
    expect(packed.code).toBe(0);
    const tarball = join(elsewhere, packed.stdout.trim().split('\n').at(-1)!);
    const prefix = join(elsewhere, 'prefix');
    const installed = await run(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball],
      elsewhere,
    );
    expect(installed.code).toBe(0);
    const bin = join(prefix, 'node_modules/.bin/ecat');
    expectValid(await run(bin, ['validate', EXAMPLE], elsewhere));
    expectRefused(await run(bin, ['validate', badRequest], elsewhere));
    // What the package ships: the build and its files, not the source, tests or benchmarks.
    const shipped = await readdir(join(prefix, 'node_modules/ecat'));
    expect(shipped.sort()).toEqual([
      'LICENCE',
      'README.md',
      'bin',
      'config',
      'dist',
      'package.json',
      'templates',
    ]);
    // Installed as a dependency, with its production dependencies alone: no compiler at run time.
    const modules = await readdir(join(prefix, 'node_modules'));
    for (const compiler of ['tsx', 'esbuild', 'typescript'])
      expect(modules).not.toContain(compiler);
    expect((await run(bin, ['--help'], elsewhere)).stdout).toMatch(/ecat validate/);
    await expectServes(bin, elsewhere);
  }, 180_000);

  it('ends quietly when its reader closes the pipe (ecat … | head -1)', async () => {
    // `true` exits at once, so every write ecat makes meets a closed pipe (EPIPE).
    const result = await run(
      'bash',
      [
        '-c',
        `"${process.execPath}" bin/ecat.js validate config/example-request.json | true; echo "exit \${PIPESTATUS[0]}"`,
      ],
      PROJECT,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('exit 0\n');
  }, 30_000);
});
