// `ecat archive` and `ecat show --archive` on the real Redis: closed requests last changed before
// a date move to a gzip NDJSON file and out of Redis with every key filed under them; what is
// outstanding, newer or changed meanwhile stays; the file reads back exactly what Redis held.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestArchive } from '../src/adapters/redis/requests/archive.ts';
import { requestKeys } from '../src/adapters/redis/requests/keys.ts';
import { defaultArchivePath, removeArchived, writeArchive } from '../src/adapters/cli/archive.ts';
import { followUpKeys } from '../src/adapters/redis/follow-up-state.ts';
import { addDays, londonDate } from '../src/domain/dates.ts';
import { ACTORS } from '../src/domain/people/person.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import type { RequestStore } from '../src/ports/request-store.ts';
import { countKeys, deletePrefix, ecat, REDIS_URL, testEnv, uniquePrefix } from './support/ecat.ts';
import { recordOf, recordStore, seed } from './support/records.ts';

const prefix = uniquePrefix('records-archive');
const env = testEnv(prefix);
const keys = requestKeys(prefix);
const BEFORE = '2025-06-01';
const OLD = '2025-01-15T10:00:00.000Z';
/** 31 May in London is still before 1 June: the last instant that counts as before. */
const LAST_OLD = '2025-05-31T22:59:59.000Z';
const NEWER = '2025-06-01T00:30:00.000Z';

let redis: Redis;
let store: RequestStore;
let dir: string;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  store = recordStore(redis, prefix);
  dir = await mkdtemp(join(tmpdir(), 'ecat-records-archive-'));
});

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
  await rm(dir, { recursive: true, force: true });
});

/** Every key under the prefix that still names `id`: as a key, a value, a member or a field. */
async function placesNaming(id: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    for (const key of batch) {
      if (key.includes(id)) found.push(key);
      const type = await redis.type(key);
      if (type === 'string' && (await redis.get(key)) === id) found.push(key);
      if (type === 'zset' && (await redis.zscore(key, id)) !== null) found.push(key);
      if (type === 'hash' && (await redis.hexists(key, id)) === 1) found.push(key);
    }
    cursor = next;
  } while (cursor !== '0');
  return found;
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('ecat archive --before DATE, then ecat show --archive FILE ID', () => {
  // Closed and old: archived.
  const configured = recordOf(1, {
    status: 'configured',
    at: OLD,
    // Notes with line breaks, a C1 control, accents and a formula: the file must keep them exactly.
    request: { notes: 'first line\nsecond line \u0085 café =1+2', supplier: 'Example Supplier' },
  });
  const cancelled = recordOf(2, { status: 'cancelled', at: LAST_OLD });
  // Kept: outstanding (however old), and closed but changed on the day or after.
  const outstanding = recordOf(3, { status: 'queued', at: OLD });
  const sent = recordOf(4, { status: 'sent', at: OLD });
  const newerConfigured = recordOf(5, { status: 'configured', at: NEWER });
  const newerCancelled = recordOf(6, { status: 'cancelled', at: NEWER });
  const archived = [configured, cancelled];
  const kept = [outstanding, sent, newerConfigured, newerCancelled];
  const out = () => join(dir, 'archive.ndjson.gz');

  it('moves the old closed requests to the file and out of Redis, every key with them', async () => {
    await seed(store, [...archived, ...kept]);
    // A catalogue check time left behind, as the worker's sweep leaves one.
    await redis.hset(followUpKeys(prefix).catalogueChecked, configured.id, OLD);
    const shownLive = await ecat(['show', configured.id], env);
    expect(shownLive.code).toBe(0);
    // The CLI's runtime adds its own keys (the signing secret) the first time: open it once first.
    expect((await ecat(['list', '--status', 'all'], env)).code).toBe(0);
    const keysBefore = await countKeys(prefix);
    expect((await store.list('all')).total).toBe(6);

    const run = await ecat(['archive', '--before', BEFORE, '--out', out()], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`2 archived to ${out()}, 0 kept because changed\n`);
    expect(run.code).toBe(0);

    // Two records, their two references, and the catalogue check times (the hash held only the
    // archived one's, so Redis drops it); every index still has members, so stays.
    expect(await countKeys(prefix)).toBe(keysBefore - 5);
    expect(await redis.exists(followUpKeys(prefix).catalogueChecked)).toBe(0);
    for (const record of archived) {
      expect(await placesNaming(record.id)).toEqual([]);
      expect(await store.get(record.id)).toBeUndefined();
      expect(await store.findByReference(referenceFor(record.id))).toBeUndefined();
    }
    const all = await store.list('all');
    expect(all.total).toBe(4);
    expect(all.items.map((record) => record.id).sort()).toEqual(kept.map((r) => r.id).sort());
    for (const record of kept) {
      expect(await store.get(record.id)).toEqual(record);
      expect((await store.findByReference(referenceFor(record.id)))?.id).toBe(record.id);
    }
    expect(await store.count('outstanding')).toBe(2);
    expect(await redis.get(keys.duplicate(outstanding.request.dosServiceId, 'INT'))).toBe(
      outstanding.id,
    );

    // The file: gzip, one record a line, byte for byte the JSON Redis held; owner-only; no
    // temporary file left beside it.
    const text = gunzipSync(await readFile(out())).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines(text)).toEqual(archived.map((record) => JSON.stringify(record)));
    expect((await stat(out())).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['archive.ndjson.gz']);

    // Read back as `ecat show` showed it live, text and JSON alike.
    const shownArchived = await ecat(['show', '--archive', out(), configured.id], env);
    expect(shownArchived).toEqual(shownLive);
    const json = await ecat(['show', configured.id, '--archive', out(), '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(configured);
    const second = await ecat(['show', '--archive', out(), cancelled.id, '--json'], env);
    expect(JSON.parse(second.stdout)).toEqual(cancelled);
  });

  it('show --archive: an id not in the file is exit 1, a file that is not an archive exit 2', async () => {
    const missing = await ecat(['show', '--archive', out(), outstanding.id], env);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `ecat show: no request ${outstanding.id} in ${out()}\n`,
    });
    const plain = join(dir, 'plain.ndjson');
    await writeFile(plain, `${JSON.stringify(outstanding)}\n`);
    const notGzip = await ecat(['show', '--archive', plain, outstanding.id], env);
    expect(notGzip.code).toBe(2);
    expect(notGzip.stderr).toBe(`ecat show: ${plain} is not a complete gzip-compressed archive\n`);
    // Cut short, as a copy interrupted would be.
    const whole = await readFile(out());
    const cut = join(dir, 'cut.ndjson.gz');
    await writeFile(cut, whole.subarray(0, whole.length - 12));
    const truncated = await ecat(['show', '--archive', cut, cancelled.id], env);
    expect(truncated.code).toBe(2);
    const absent = await ecat(['show', '--archive', join(dir, 'none.gz'), 'req-x'], env);
    expect(absent.stderr).toBe(`ecat show: no such file: ${join(dir, 'none.gz')}\n`);
    await rm(plain);
    await rm(cut);
  });

  it('with nothing closed and old enough, says so and writes no file', async () => {
    const file = join(dir, 'empty.ndjson.gz');
    const run = await ecat(['archive', '--before', BEFORE, '--out', file], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^nothing to archive: no configured or cancelled request last changed before 2025-06-01 \(2 looked at\)\n$/,
    );
    expect(await readdir(dir)).toEqual(['archive.ndjson.gz']);
  });

  it('names an archive by its date and when it was made, under var/archive/', () => {
    expect(defaultArchivePath(BEFORE, new Date('2026-12-01T14:05:09.123Z'))).toBe(
      'var/archive/ecat-archive-2025-06-01-20261201T140509Z.ndjson.gz',
    );
  });

  it('never overwrites an archive', async () => {
    const run = await ecat(['archive', '--before', BEFORE, '--out', out()], env);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `ecat archive: ${out()} exists: an archive is never overwritten\n`,
    });
  });
});

describe('a record that changes between the file and the removal', () => {
  it('is kept in Redis, the rest removed', async () => {
    const archive = createRequestArchive(redis, prefix);
    const records = [7, 8, 9].map((n) => recordOf(n, { status: 'configured', at: OLD }));
    await seed(store, records);
    const file = join(dir, 'changed.ndjson.gz');
    const written = await writeArchive(archive, BEFORE, file);
    expect(written.archived).toBe(3);

    // Meanwhile someone adds to one record's history (the file holds it as it was).
    const [changed, ...rest] = records as [RequestRecord, ...RequestRecord[]];
    const noted = await store.note(changed.id, {
      event: 'note',
      reason: 'a late note',
      actor: ACTORS.cli,
    });
    expect(noted?.history).toHaveLength(changed.history.length + 1);

    expect(await removeArchived(archive, file)).toEqual({ removed: 2, changed: 1, gone: 0 });
    expect(await store.get(changed.id)).toEqual(noted);
    expect((await store.findByReference(referenceFor(changed.id)))?.id).toBe(changed.id);
    for (const record of rest) expect(await placesNaming(record.id)).toEqual([]);
    // Run again on the same file: what was taken is gone, the changed one still kept.
    expect(await removeArchived(archive, file)).toEqual({ removed: 0, changed: 1, gone: 2 });
  });

  it('an outstanding record is never removed, even given exactly as stored', async () => {
    const archive = createRequestArchive(redis, prefix);
    const open = recordOf(10, { status: 'sent', at: OLD });
    await seed(store, [open]);
    const json = await redis.get(keys.record(open.id));
    expect(json).not.toBeNull();
    expect(await archive.remove([{ json: json ?? '', record: open }])).toEqual(['changed']);
    expect(await store.get(open.id)).toEqual(open);
  });
});

describe('bad input: one line on stderr, exit 2, nothing touched', () => {
  const today = londonDate(new Date());
  it.each([
    [
      ['archive', '--before', 'tomorrow'],
      "--before must be a real date as YYYY-MM-DD (got 'tomorrow')",
    ],
    [
      ['archive', '--before', '2026-02-30'],
      "--before must be a real date as YYYY-MM-DD (got '2026-02-30')",
    ],
    [
      ['archive', '--before', addDays(today, 1)],
      `--before must be today (${today}) or earlier (got '${addDays(today, 1)}')`,
    ],
    [['archive'], 'missing --before YYYY-MM-DD: the day archived requests changed before'],
    [['export', '--format', 'xml'], "--format must be one of ndjson, csv (got 'xml')"],
    [
      ['export', '--status', 'open'],
      "--status must be one of outstanding, all, queued, sent, configured, failed, cancelled (got 'open')",
    ],
  ])('ecat %j', async (args, message) => {
    const before = await countKeys(prefix);
    const run = await ecat(args, env);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `ecat ${args[0] ?? ''}: ${message}\n` });
    expect(await countKeys(prefix)).toBe(before);
  });
});
