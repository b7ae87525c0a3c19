// The request records in Redis: one JSON document per request (history included), sorted-set
// indexes per status and for "outstanding" (score = acceptance time), and a duplicate key per
// outstanding (dosServiceId, environment). A record and its indexes always change together: new
// records in a MULTI guarded by WATCH on the duplicate key, changes to a record by a script that
// writes only if the record is still the one the change was computed from.
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../redis.ts';
import {
  canTransition,
  isOutstanding,
  type HistoryEntry,
  type RequestRecord,
  type RequestStatus,
} from './record.ts';

export type ListFilter = RequestStatus | 'outstanding' | 'all';

export interface RequestPage {
  items: RequestRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
  total: number;
}

export type TransitionResult =
  | { ok: true; record: RequestRecord }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'not-allowed'; record: RequestRecord };

export interface RequestKeys {
  record(id: string): string;
  index(filter: ListFilter): string;
  /** Outstanding requests of one environment and urgency, for the metrics. */
  group(environment: string, urgency: string): string;
  /** Outstanding requests scored by earliest test date (YYYYMMDD): overdue is a range count. */
  byTestDate: string;
  /** Emails sent and failed, counted where every process can see them. */
  counters: string;
  duplicate(dosServiceId: string, environment: string): string;
}

export function requestKeys(prefix: string): RequestKeys {
  return {
    record: (id) => `${prefix}:request:${id}`,
    index: (filter) => `${prefix}:requests:${filter}`,
    group: (environment, urgency) => `${prefix}:requests:outstanding:${environment}:${urgency}`,
    byTestDate: `${prefix}:requests:outstanding:by-test-date`,
    counters: `${prefix}:counters`,
    duplicate: (dosServiceId, environment) => `${prefix}:open:${dosServiceId}:${environment}`,
  };
}

export function testDateScore(date: string): number {
  return Number(date.replaceAll('-', ''));
}

export interface RequestStore {
  readonly keys: RequestKeys;
  get(id: string): Promise<RequestRecord | undefined>;
  list(filter: ListFilter, options?: { limit?: number; cursor?: string }): Promise<RequestPage>;
  count(filter: ListFilter): Promise<number>;
  /** Outstanding requests whose earliest test date is on or before `today` (CONTRACT: overdue). */
  overdueIds(today: string): Promise<string[]>;
  countGroup(environment: string, urgency: string): Promise<number>;
  counters(): Promise<{ sent: number; failed: number }>;
  /**
   * Writes a new record with its indexes, and whatever `alsoInTransaction` adds (the job), in one
   * MULTI — unless an outstanding request for the same service and environment exists. Records
   * created at the same moment may share the MULTI; each lands whole or not at all.
   */
  create(
    record: RequestRecord,
    alsoInTransaction: (multi: ChainableCommander) => Promise<unknown>,
  ): Promise<CreateResult>;
  /**
   * `create` for many records in one MULTI (the CSV import). A record whose service and
   * environment already has an outstanding request, in Redis or earlier in the batch, is left out
   * and answered with that request's id.
   */
  createMany(entries: readonly NewRecord[]): Promise<CreateResult[]>;
  transition(
    id: string,
    to: RequestStatus,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch?: Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>,
  ): Promise<TransitionResult>;
  /**
   * Adds an event that does not change the status (a retry, a re-check, a chaser); with `onlyIf`,
   * only when the record as read inside the transaction passes it (else undefined, nothing written).
   */
  note(
    id: string,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch?: Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>,
    onlyIf?: (record: RequestRecord) => boolean,
  ): Promise<RequestRecord | undefined>;
}

export type CreateResult = { ok: true } | { ok: false; existingId: string };

export interface NewRecord {
  record: RequestRecord;
  alsoInTransaction: (multi: ChainableCommander) => Promise<unknown>;
}

/** One Redis command, its arguments as strings: written into a MULTI or run by the script. */
type RedisCommand = [name: string, ...args: string[]];

/**
 * Runs the commands laid out flat in ARGV from position `from`: each as its length, then its name
 * and arguments. Plain strings rather than JSON, so a record's JSON reaches Redis as it is, with no
 * decoding on the way.
 */
const RUN_FLAT = `
local function run_flat(from)
  local i = from
  while i <= #ARGV do
    local length = tonumber(ARGV[i])
    redis.call(unpack(ARGV, i + 1, i + length))
    i = i + length + 1
  end
end
`;

/**
 * Compare-and-set for a record and its indexes in one round trip: the commands run only if the
 * record is still exactly the JSON the change was computed from (else 0, and the caller reads
 * again). Unlike WATCH this holds no state on the connection, so the worker's concurrent status
 * changes do not queue behind one another. Every key a command touches is passed in KEYS.
 */
const APPLY_IF_UNCHANGED = `${RUN_FLAT}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
run_flat(2)
return 1
`;

/**
 * New records and their indexes as one command inside the creating MULTI: Redis and the client
 * handle one script call per transaction instead of six commands per record.
 */
const APPLY = `${RUN_FLAT}
run_flat(1)
return 1
`;

function flat(commands: readonly RedisCommand[]): string[] {
  return commands.flatMap((command) => [String(command.length), ...command]);
}

/** Most new records one grouped transaction takes; the rest wait for the next. */
const MAX_GROUP = 100;

/**
 * For each duplicate key: its request id, or nil when the service has no outstanding request.
 * An existing key is written again unchanged, which makes the EXEC that follows under WATCH abort
 * (see writeNew).
 */
const FREE_OR_TOUCH = `
local holders = {}
for i, key in ipairs(KEYS) do
  local id = redis.call('GET', key)
  holders[i] = id
  if id then redis.call('SET', key, id, 'KEEPTTL') end
end
return holders
`;

interface StoreScripts {
  ecatFreeOrTouch(numberOfKeys: number, ...keys: string[]): Promise<(string | null)[]>;
  ecatApplyIfUnchanged(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
  ecatApply(numberOfKeys: number, ...keysThenArgs: string[]): unknown;
}

/** The keys the commands touch, for KEYS (each command's key is its first argument). */
function touchedKeys(commands: readonly RedisCommand[]): string[] {
  return [...new Set(commands.map(([, key]) => key!))];
}

/** Remembers the last `size` values put; `take` hands one out once. */
function boundedMap<V>(size: number) {
  const entries = new Map<string, V>();
  return {
    put(key: string, value: V) {
      entries.delete(key);
      entries.set(key, value);
      if (entries.size > size) entries.delete(entries.keys().next().value!);
    },
    take(key: string): V | undefined {
      const value = entries.get(key);
      entries.delete(key);
      return value;
    },
  };
}

export function createRequestStore(redis: Redis, prefix: string, now: () => Date): RequestStore {
  const keys = requestKeys(prefix);

  const parse = (json: string | null): RequestRecord | undefined =>
    json === null ? undefined : (JSON.parse(json) as RequestRecord);

  // A change usually follows a read of the same record (the worker reads, sends, then records):
  // computing it from that read saves a round trip, and if the record moved on meanwhile the
  // script refuses the write and the change is computed again from a fresh read.
  const recentlyRead = boundedMap<string>(256);
  redis.defineCommand('ecatApplyIfUnchanged', { lua: APPLY_IF_UNCHANGED });
  redis.defineCommand('ecatApply', { lua: APPLY });
  redis.defineCommand('ecatFreeOrTouch', { lua: FREE_OR_TOUCH });
  const scripts = redis as unknown as StoreScripts;

  /**
   * Reads a record, lets `change` compute the commands that turn it into its next state, and
   * writes them if nobody changed the record meanwhile; otherwise reads again.
   */
  async function update<T>(
    id: string,
    change: (record: RequestRecord | undefined, commands: RedisCommand[]) => T | 'abort',
  ): Promise<T | 'abort'> {
    let known = recentlyRead.take(keys.record(id));
    for (;;) {
      const json = known ?? (await redis.get(keys.record(id)));
      known = undefined;
      const commands: RedisCommand[] = [];
      const outcome = change(parse(json), commands);
      if (outcome === 'abort' || json === null) return outcome;
      const touched = touchedKeys(commands);
      const written = await scripts.ecatApplyIfUnchanged(
        1 + touched.length,
        keys.record(id),
        ...touched,
        json,
        ...flat(commands),
      );
      if (written === 1) return outcome;
    }
  }

  function indexCommands(before: RequestRecord | undefined, after: RequestRecord): RedisCommand[] {
    const score = String(Date.parse(after.createdAt));
    const commands: RedisCommand[] = [];
    if (before && before.status !== after.status) {
      commands.push(['ZREM', keys.index(before.status), after.id]);
    }
    commands.push(['ZADD', keys.index(after.status), score, after.id]);
    commands.push(['ZADD', keys.index('all'), score, after.id]);
    const duplicate = keys.duplicate(after.request.dosServiceId, after.request.environment);
    const group = keys.group(after.request.environment, after.urgency.level);
    if (isOutstanding(after.status)) {
      commands.push(['ZADD', keys.index('outstanding'), score, after.id]);
      commands.push(['ZADD', group, score, after.id]);
      if (after.earliestTestDate) {
        const testDate = String(testDateScore(after.earliestTestDate));
        commands.push(['ZADD', keys.byTestDate, testDate, after.id]);
      }
      commands.push(['SET', duplicate, after.id]);
    } else {
      commands.push(['ZREM', keys.index('outstanding'), after.id]);
      commands.push(['ZREM', group, after.id]);
      commands.push(['ZREM', keys.byTestDate, after.id]);
      if (before && isOutstanding(before.status)) commands.push(['DEL', duplicate]);
    }
    return commands;
  }

  function newRecordCommands(record: RequestRecord): RedisCommand[] {
    return [
      ['SET', keys.record(record.id), JSON.stringify(record)],
      ...indexCommands(undefined, record),
    ];
  }

  function changed(
    record: RequestRecord,
    status: RequestStatus,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch: Partial<RequestRecord> = {},
  ): RequestRecord {
    const at = now().toISOString();
    return {
      ...record,
      ...patch,
      status,
      updatedAt: at,
      history: [...record.history, { at, status, ...entry }],
    };
  }

  /**
   * Redis does not roll back a transaction when one of its commands fails inside EXEC (only the
   * Lua steps could: the queue's, or ours on a key of the wrong type): take the records back out
   * so that no request is left accepted without its job. Each of their writes is undone (SET by
   * DEL, ZADD by ZREM), so this stays in step with what a new record writes. A job left without
   * its record finds no request when it runs and does nothing.
   */
  async function undoCreate(records: readonly RequestRecord[]) {
    const undo = records.flatMap((record) =>
      newRecordCommands(record).map(([name, key]): RedisCommand =>
        name === 'SET' ? ['DEL', key!] : ['ZREM', key!, record.id],
      ),
    );
    const touched = touchedKeys(undo);
    await scripts.ecatApply(touched.length, ...touched, ...flat(undo));
  }

  /**
   * Writes new records, their indexes and what each adds (the jobs) in one MULTI, unless their
   * service and environment has an outstanding request; of two in `entries` the earlier wins.
   *
   * One round trip: WATCH on the duplicate keys, FREE_OR_TOUCH, then MULTI…EXEC are written
   * together (ioredis writes a connection's commands in call order, and nothing else can come
   * between calls made in one synchronous step). EXEC thus aborts if any of those services has an
   * outstanding request, or gets one meanwhile; the script's answer says which, and the
   * transaction is built again without them. Since every EXEC clears the connection's WATCH, such
   * sections can follow each other on one connection without waiting for one another.
   */
  async function writeNew(entries: readonly NewRecord[]): Promise<CreateResult[]> {
    const holders = new Map<string, string>();
    for (;;) {
      const holder = new Map(holders);
      const results: CreateResult[] = [];
      const created: RequestRecord[] = [];
      const claimed: string[] = [];
      const writes: RedisCommand[] = [];
      const multi = redis.multi();
      for (const { record, alsoInTransaction } of entries) {
        const duplicate = keys.duplicate(record.request.dosServiceId, record.request.environment);
        const existingId = holder.get(duplicate);
        if (existingId !== undefined) {
          results.push({ ok: false, existingId });
          continue;
        }
        holder.set(duplicate, record.id);
        claimed.push(duplicate);
        writes.push(...newRecordCommands(record));
        await alsoInTransaction(multi);
        created.push(record);
        results.push({ ok: true });
      }
      if (created.length === 0) return results;
      const touched = touchedKeys(writes);
      (multi as unknown as StoreScripts).ecatApply(touched.length, ...touched, ...flat(writes));
      const [, existing, outcome] = await Promise.all([
        redis.watch(...claimed),
        scripts.ecatFreeOrTouch(claimed.length, ...claimed),
        multi.exec(),
      ]);
      if (outcome === null) {
        existing.forEach((id, i) => {
          if (id !== null) holders.set(claimed[i]!, id);
        });
        continue;
      }
      const failed = outcome.find(([error]) => error !== null);
      if (failed) {
        await undoCreate(created);
        throw failed[0];
      }
      return results;
    }
  }

  /**
   * Intakes that arrive while one is being written wait and go together in the next transaction
   * (group commit): under load one transaction serves many requests, which costs Redis and this
   * process far less than one each.
   */
  const waiting: {
    entry: NewRecord;
    resolve: (result: CreateResult) => void;
    reject: (error: unknown) => void;
  }[] = [];
  let writingWaiting = false;
  async function writeWaiting(): Promise<void> {
    writingWaiting = true;
    while (waiting.length > 0) {
      const group = waiting.splice(0, MAX_GROUP);
      try {
        const results = await writeNew(group.map(({ entry }) => entry));
        group.forEach(({ resolve }, i) => resolve(results[i]!));
      } catch (error) {
        for (const { reject } of group) reject(error);
      }
    }
    writingWaiting = false;
  }

  return {
    keys,
    async get(id) {
      const json = await redis.get(keys.record(id));
      if (json !== null) recentlyRead.put(keys.record(id), json);
      return parse(json);
    },
    async count(filter) {
      return redis.zcard(keys.index(filter));
    },
    async overdueIds(today) {
      return redis.zrangebyscore(keys.byTestDate, '-inf', String(testDateScore(today)));
    },
    async countGroup(environment, urgency) {
      return redis.zcard(keys.group(environment, urgency));
    },
    async counters() {
      const values = await redis.hmget(keys.counters, 'sent', 'failed');
      return { sent: Number(values[0] ?? 0), failed: Number(values[1] ?? 0) };
    },
    async list(filter, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
      const offset = Math.max(0, Number.parseInt(options.cursor ?? '0', 10) || 0);
      const index = keys.index(filter);
      const [ids, total] = await Promise.all([
        redis.zrange(index, String(offset), String(offset + limit - 1)),
        redis.zcard(index),
      ]);
      const documents = ids.length === 0 ? [] : await redis.mget(ids.map(keys.record));
      const items = documents.map(parse).filter((r): r is RequestRecord => r !== undefined);
      const next = offset + ids.length;
      return { items, total, ...(next < total ? { nextCursor: String(next) } : {}) };
    },
    create(record, alsoInTransaction) {
      return new Promise((resolve, reject) => {
        waiting.push({ entry: { record, alsoInTransaction }, resolve, reject });
        if (!writingWaiting) void writeWaiting();
      });
    },
    createMany(entries) {
      return writeNew(entries);
    },
    async transition(id, to, entry, patch) {
      let result: TransitionResult = { ok: false, reason: 'not-found' };
      await update(id, (record, commands) => {
        if (!record) {
          result = { ok: false, reason: 'not-found' };
          return 'abort';
        }
        if (!canTransition(record.status, to)) {
          result = { ok: false, reason: 'not-allowed', record };
          return 'abort';
        }
        // CONTRACT.md: only an outstanding request can be overdue.
        const next = changed(record, to, entry, {
          ...(isOutstanding(to) ? {} : { overdue: false }),
          ...patch,
        });
        commands.push(['SET', keys.record(id), JSON.stringify(next)]);
        commands.push(...indexCommands(record, next));
        if (to === 'sent' || to === 'failed') commands.push(['HINCRBY', keys.counters, to, '1']);
        result = { ok: true, record: next };
        return undefined;
      });
      return result;
    },
    async note(id, entry, patch, onlyIf) {
      let updated: RequestRecord | undefined;
      await update(id, (record, commands) => {
        updated = undefined;
        if (!record || (onlyIf && !onlyIf(record))) return 'abort';
        updated = changed(record, record.status, entry, patch);
        commands.push(['SET', keys.record(id), JSON.stringify(updated)]);
        return undefined;
      });
      return updated;
    },
  };
}
