// Each Lua script of the request store (src/requests/scripts/) on the real Redis, on its own: what
// it writes, key by key, and what it refuses. The keys are spelled out here as the scripts take them.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestKeys } from '../src/adapters/redis/requests/keys.ts';
import {
  defineRequestScripts,
  inTransaction,
  type RequestScripts,
} from '../src/adapters/redis/requests/scripts.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/ecat.ts';

const prefix = uniquePrefix('scripts');
const keys = requestKeys(prefix);
let redis: Redis;
let scripts: RequestScripts;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
  scripts = defineRequestScripts(redis);
});

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

/** Every key under `base`, with its value: strings as they are, sorted sets as member → score. */
async function state(base: string): Promise<Record<string, unknown>> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${base}:*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  const entries = await Promise.all(
    found.map(async (key): Promise<[string, unknown]> => {
      const name = key.slice(base.length + 1);
      const type = await redis.type(key);
      if (type === 'string') return [name, await redis.get(key)];
      if (type === 'hash') return [name, await redis.hgetall(key)];
      const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES');
      const members: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2) members[flat[i]!] = Number(flat[i + 1]);
      return [name, members];
    }),
  );
  return Object.fromEntries(entries);
}

/** The keys of one request, as accept-request.lua and withdraw-request.lua take them. */
function placesOf(base: string, id: string, status = 'queued') {
  const at = requestKeys(base);
  return {
    record: at.record(id),
    duplicate: at.duplicate('1000', 'INT'),
    status: at.index(status as 'queued'),
    all: at.index('all'),
    outstanding: at.index('outstanding'),
    group: at.group('INT', 'urgent'),
    byTestDate: at.byTestDate,
  };
}

async function acceptInMulti(base: string, id: string, json: string, testDate = '20261203') {
  const p = placesOf(base, id);
  const multi = redis.multi();
  inTransaction(multi).ecatAcceptRequest(
    ...[p.record, p.duplicate, p.status, p.all, p.outstanding, p.group, p.byTestDate],
    ...[id, json, '1796000000000', testDate, '1'],
  );
  return (await multi.exec())![0]!;
}

const FILED = {
  'request:req-a': '{"v":1}',
  'open:1000:INT': 'req-a',
  'requests:queued': { 'req-a': 1796000000000 },
  'requests:all': { 'req-a': 1796000000000 },
  'requests:outstanding': { 'req-a': 1796000000000 },
  'requests:outstanding:INT:urgent': { 'req-a': 1796000000000 },
  'requests:outstanding:by-test-date': { 'req-a': 20261203 },
};

describe('accept-request.lua', () => {
  it('files the record, its indexes and the duplicate key', async () => {
    const base = `${prefix}:accept`;
    expect(await acceptInMulti(base, 'req-a', '{"v":1}')).toEqual([null, 1]);
    expect(await state(base)).toEqual(FILED);
  });

  it('leaves out the test-date index for a request without test dates', async () => {
    const base = `${prefix}:accept-no-date`;
    expect(await acceptInMulti(base, 'req-a', '{"v":1}', '')).toEqual([null, 1]);
    const { 'requests:outstanding:by-test-date': _, ...withoutTestDate } = FILED;
    expect(await state(base)).toEqual(withoutTestDate);
  });

  it('refuses, writing nothing, when another request holds the duplicate key', async () => {
    const base = `${prefix}:accept-refused`;
    await redis.set(`${base}:open:1000:INT`, 'req-other');
    const [held] = await acceptInMulti(base, 'req-a', '{"v":1}');
    expect((held as Error).message).toMatch(/^ECAT_DUPLICATE held by req-other/);
    expect(await state(base)).toEqual({ 'open:1000:INT': 'req-other' });
  });
});

describe('find-duplicates.lua', () => {
  it('names the holder of each key, and a held key aborts the EXEC that follows under WATCH', async () => {
    const held = keys.duplicate('2000', 'INT');
    const free = keys.duplicate('2001', 'INT');
    await redis.set(held, 'req-held');
    const marker = `${prefix}:written-by-exec`;
    const multi = redis.multi().set(marker, 'x');
    const [, holders, outcome] = await Promise.all([
      redis.watch(held, free),
      scripts.ecatFindDuplicates(2, held, free),
      multi.exec(),
    ]);
    expect(holders).toEqual(['req-held', null]);
    expect(outcome).toBeNull();
    expect(await redis.exists(marker)).toBe(0);
    expect(await redis.get(held)).toBe('req-held');
  });

  it('writes nothing when the keys are free, and the EXEC goes through', async () => {
    const free = keys.duplicate('2002', 'INT');
    const marker = `${prefix}:written-by-exec-2`;
    const multi = redis.multi().set(marker, 'x');
    const [, holders, outcome] = await Promise.all([
      redis.watch(free),
      scripts.ecatFindDuplicates(1, free),
      multi.exec(),
    ]);
    expect(holders).toEqual([null]);
    expect(outcome).toEqual([[null, 'OK']]);
    expect(await redis.exists(free)).toBe(0);
  });
});

describe('withdraw-request.lua', () => {
  function withdraw(base: string, id: string) {
    const at = requestKeys(base);
    const indexes = [
      ...['queued', 'sent', 'configured', 'failed', 'cancelled'].map((s) => at.index(s as 'sent')),
      at.index('all'),
      at.index('outstanding'),
      at.group('INT', 'urgent'),
      at.byTestDate,
    ];
    const p = placesOf(base, id);
    return scripts.ecatWithdrawRequest(2 + indexes.length, p.record, p.duplicate, ...indexes, id);
  }

  it('takes the record out of every index it is in, whatever its status now', async () => {
    const base = `${prefix}:withdraw`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    // Moved on meanwhile (a worker sent it): it is taken out of the index it is in now.
    await redis.zadd(`${base}:requests:sent`, 1796000000000, 'req-a');
    await redis.zrem(`${base}:requests:queued`, 'req-a');
    expect(await withdraw(base, 'req-a')).toBe(1);
    expect(await state(base)).toEqual({});
  });

  it('leaves the duplicate key of another request alone', async () => {
    const base = `${prefix}:withdraw-other`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    await redis.set(`${base}:open:1000:INT`, 'req-other');
    expect(await withdraw(base, 'req-a')).toBe(1);
    expect(await state(base)).toEqual({ 'open:1000:INT': 'req-other' });
  });
});

describe('change-status.lua', () => {
  function change(base: string, from: string, to: string, expected: string, next: string) {
    const at = requestKeys(base);
    const p = placesOf(base, 'req-a');
    const outstanding = ['queued', 'sent', 'failed'].includes(to) ? '1' : '0';
    const counter = to === 'sent' || to === 'failed' ? to : '';
    return scripts.ecatChangeStatus(
      ...[p.record, p.duplicate, at.index(from as 'sent'), at.index(to as 'sent'), p.all],
      ...[p.outstanding, p.group, p.byTestDate, at.counters],
      ...[expected, next, 'req-a', '1796000000000', '20261203', outstanding, counter],
    );
  }

  it('moves the record between indexes and counts a send', async () => {
    const base = `${prefix}:change`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    expect(await change(base, 'queued', 'sent', '{"v":1}', '{"v":2}')).toBe(1);
    const { 'requests:queued': _, ...rest } = FILED;
    expect(await state(base)).toEqual({
      ...rest,
      'request:req-a': '{"v":2}',
      'requests:sent': { 'req-a': 1796000000000 },
      counters: { sent: '1' },
    });
  });

  it('takes a request that is no longer outstanding out of the outstanding indexes', async () => {
    const base = `${prefix}:change-end`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    expect(await change(base, 'queued', 'configured', '{"v":1}', '{"v":2}')).toBe(1);
    expect(await state(base)).toEqual({
      'request:req-a': '{"v":2}',
      'requests:configured': { 'req-a': 1796000000000 },
      'requests:all': { 'req-a': 1796000000000 },
    });
  });

  it('keeps the duplicate key of another request when one ends', async () => {
    const base = `${prefix}:change-other`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    await redis.set(`${base}:open:1000:INT`, 'req-other');
    expect(await change(base, 'queued', 'cancelled', '{"v":1}', '{"v":2}')).toBe(1);
    expect(await redis.get(`${base}:open:1000:INT`)).toBe('req-other');
  });

  it('refuses, writing nothing, when the record is not the one the change was computed from', async () => {
    const base = `${prefix}:change-moved`;
    await acceptInMulti(base, 'req-a', '{"v":1}');
    expect(await change(base, 'queued', 'configured', '{"v":0}', '{"v":2}')).toBe(0);
    expect(await state(base)).toEqual(FILED);
    expect(await change(`${prefix}:change-missing`, 'queued', 'sent', '{}', '{}')).toBe(0);
    expect(await state(`${prefix}:change-missing`)).toEqual({});
  });
});

describe('add-note.lua', () => {
  it('writes the record only if it is still the one read', async () => {
    const record = keys.record('req-note');
    await redis.set(record, '{"v":1}');
    expect(await scripts.ecatAddNote(record, '{"v":1}', '{"v":2}')).toBe(1);
    expect(await redis.get(record)).toBe('{"v":2}');
    expect(await scripts.ecatAddNote(record, '{"v":1}', '{"v":3}')).toBe(0);
    expect(await redis.get(record)).toBe('{"v":2}');
    expect(await scripts.ecatAddNote(keys.record('req-none'), '{}', '{"v":1}')).toBe(0);
    expect(await redis.exists(keys.record('req-none'))).toBe(0);
  });
});
