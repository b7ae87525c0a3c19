// No compiler at run time (README "Running the build"): `bin/ecat.js` runs dist/, built by tsc with
// the files that are not TypeScript copied beside it, and nothing is written to the temporary
// folder, so one that cannot be written to does no harm. `npm test` builds first (pretest). The
// packed tarball, installed without any compiler, is test/cli-entry.test.ts's.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };

describe('the build', () => {
  it('holds the compiled CLI and the Lua scripts it reads', () => {
    expect(existsSync('dist/src/cli.js')).toBe(true);
    expect(existsSync('dist/src/adapters/redis/requests/scripts/accept-request.lua')).toBe(true);
    expect(existsSync('dist/src/adapters/http/docs-start.js')).toBe(true);
  });

  it('validates a request with TMPDIR a plain file, where nothing can be written', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ecat-tmpdir-'));
    try {
      const file = join(folder, 'not-a-folder');
      await writeFile(file, '');
      const { stdout } = await run(
        'node',
        ['bin/ecat.js', 'validate', 'config/example-request.json'],
        { env: { ...BASE_ENV, TMPDIR: file, TMP: file, TEMP: file } },
      );
      expect(stdout).toMatch(/valid/i);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
