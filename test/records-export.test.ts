// `ecat export` streams every request, a page at a time, to a reader that may be slow: 10,000
// records (about 45 MB of JSON) go through the real CLI in a child held to a 48 MB heap, so a
// version that gathered them, or ignored backpressure, would run out of memory. The CSV is the
// web's download, cell for cell. The same 10,000 then leave Redis through `ecat archive`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestExportCsv } from '../src/domain/csv/request-export.ts';
import { londonDate } from '../src/domain/dates.ts';
import { listedOn } from '../src/domain/request/urgency-today.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { createFoundation } from '../src/wiring/foundation.ts';
import {
  countKeys,
  deletePrefix,
  ecat,
  REDIS_URL,
  testConfig,
  testEnv,
  testDatesIn,
  uniquePrefix,
} from './support/ecat.ts';
import { recordOf, recordStore, seed } from './support/records.ts';

const PROJECT = fileURLToPath(new URL('..', import.meta.url));
const COUNT = 10_000;
/**
 * Old-space limits well under the 45 MB the records come to (more once parsed): only a bounded
 * command fits. The archive gets more room: at 48 MB its working set leaves V8 collecting
 * garbage all the time (ten times slower), though it still finishes.
 */
const EXPORT_HEAP_MB = 48;
const ARCHIVE_HEAP_MB = 64;

let redis: Redis;
let dir: string;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  dir = await mkdtemp(join(tmpdir(), 'ecat-records-export-'));
});

afterAll(async () => {
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

interface ChildRun {
  code: number | null;
  stderr: string;
  /** With `ndjson`, the id of each line on stdout, in order (the lines themselves not kept). */
  ids: string[];
  /** What stdout held after its last whole line: all of it without `ndjson`, else ''. */
  rest: string;
  /** The peak resident set (VmHWM from /proc, MB), where there is a /proc. */
  peakRssMb?: number;
}

/**
 * `node bin/ecat.js ARGS` with a small heap. Its stdout is read slowly (a pause every chunk), so
 * the child must wait for 'drain'; with `ndjson`, each line is parsed as it arrives.
 */
async function ecatChild(
  args: string[],
  env: Record<string, string>,
  { heapMb, ndjson }: { heapMb: number; ndjson: boolean },
): Promise<ChildRun> {
  const child = spawn(process.execPath, ['bin/ecat.js', ...args], {
    cwd: PROJECT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_OPTIONS: `--max-old-space-size=${heapMb}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const status = `/proc/${child.pid ?? 0}/status`;
  let peakKb: number | undefined;
  const watch = setInterval(() => {
    readFile(status, 'utf8')
      .then((text) => {
        const kb = /VmHWM:\s+(\d+) kB/.exec(text)?.[1];
        if (kb !== undefined) peakKb = Math.max(peakKb ?? 0, Number(kb));
      })
      .catch(() => undefined); // gone: the child has exited
  }, 20);
  const ids: string[] = [];
  let rest = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout as AsyncIterable<string>) {
    rest += chunk;
    if (ndjson) {
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) ids.push((JSON.parse(line) as RequestRecord).id);
    }
    await sleep(1);
  }
  const code = await exit;
  clearInterval(watch);
  return {
    code,
    stderr,
    ids,
    rest,
    ...(peakKb === undefined ? {} : { peakRssMb: Math.round(peakKb / 1024) }),
  };
}

describe(`${COUNT} requests, exported and archived through the real CLI`, () => {
  const prefix = uniquePrefix('records-export-10k');
  const env = testEnv(prefix);
  const seeded: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(PROJECT, 'dist/src/cli.js'))) throw new Error('run `npm run build` first');
    const store = recordStore(redis, prefix);
    // About 4.5 kB each, as a request with notes and a busy history comes to.
    const records = Array.from({ length: COUNT }, (_, n) =>
      recordOf(n, {
        status: n % 3 === 0 ? 'cancelled' : 'configured',
        extraHistory: 6,
        padding: 300,
        request: { notes: `notes of request ${n} `.padEnd(2000, '.') },
      }),
    );
    await seed(store, records);
    seeded.push(...records.map((record) => record.id));
  }, 60_000);

  afterAll(async () => {
    await deletePrefix(prefix);
  });

  it(`export: every record, one a line, in a ${EXPORT_HEAP_MB} MB heap`, async () => {
    const run = await ecatChild(['export'], env, { heapMb: EXPORT_HEAP_MB, ndjson: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.rest).toBe('');
    expect(run.ids).toHaveLength(COUNT);
    expect(new Set(run.ids)).toEqual(new Set(seeded));
  }, 30_000);

  it('archive: all of them to one file and out of Redis, with progress on stderr', async () => {
    const file = join(dir, 'all.ndjson.gz');
    const run = await ecatChild(['archive', '--before', '2025-06-01', '--out', file], env, {
      heapMb: ARCHIVE_HEAP_MB,
      ndjson: false,
    });
    expect(run.code).toBe(0);
    expect(run.rest).toBe(`${COUNT} archived to ${file}, 0 kept because changed\n`);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      'ecat archive: 5000 closed requests read, 5000 to archive',
      'ecat archive: 10000 closed requests read, 10000 to archive',
      'ecat archive: 5000 taken out of Redis',
      'ecat archive: 10000 taken out of Redis',
    ]);
    expect(await redis.zcard(`${prefix}:requests:all`)).toBe(0);
    const archived = gunzipSync(await readFile(file))
      .toString('utf8')
      .split('\n');
    expect(archived.pop()).toBe('');
    expect(archived).toHaveLength(COUNT);
    // Only what the runtime keeps for itself is left under the prefix (the signing secret).
    expect(await countKeys(prefix)).toBeLessThan(5);
  }, 30_000);
});

describe('export formats', () => {
  const prefix = uniquePrefix('records-export');
  const env = testEnv(prefix);
  const store = () => recordStore(redis, prefix);
  // Values a spreadsheet would run as formulas, in every free-text column.
  const risky = recordOf(1, {
    status: 'configured',
    request: {
      serviceName: '=1+2',
      requester: { name: '@SUM(A1)', email: 'a@nhs.net', organisation: '+44 trust' },
    },
  });
  const outstanding = recordOf(2, {
    status: 'sent',
    at: '2026-01-10T09:00:00.000Z',
    request: { testDates: testDatesIn(3) },
  });
  outstanding.earliestTestDate = outstanding.request.testDates?.from;
  const cancelled = recordOf(3, { status: 'cancelled', at: '2026-02-01T09:00:00.000Z' });
  const all = [risky, outstanding, cancelled];

  beforeAll(async () => {
    await seed(store(), all);
  });

  afterAll(async () => {
    await deletePrefix(prefix);
  });

  it('ndjson: each record as stored, oldest first; --status picks the list', async () => {
    const run = await ecat(['export'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(all.map((record) => `${JSON.stringify(record)}\n`).join(''));
    const open = await ecat(['export', '--status', 'outstanding'], env);
    expect(open.stdout).toBe(`${JSON.stringify(outstanding)}\n`);
    const none = await ecat(['export', '--status', 'failed'], env);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("csv: the web download's columns and rating, formula-like cells written after a '", async () => {
    const run = await ecat(['export', '--format', 'csv'], env);
    expect(run.code).toBe(0);
    const rows = run.stdout.split('\r\n');
    expect(rows[1]).toMatch(
      /^ECAT-\w{6},req-[^,]+,configured,INT,3000000001,Y02494,'=1\+2,routine,/,
    );
    expect(rows[1]).toContain(",'@SUM(A1),a@nhs.net,'+44 trust");
    // Exactly what GET /requests/export.csv gives for the same requests today.
    const { calendar, thresholds } = await createFoundation(testConfig(prefix));
    const today = londonDate(new Date());
    const web = requestExportCsv(
      all.map((record) => listedOn(record, today, { calendar, thresholds })),
    );
    expect(run.stdout).toBe(web);
  });
});
