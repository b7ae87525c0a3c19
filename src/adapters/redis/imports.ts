// Uploaded imports in Redis (ports/imports.ts), where a worker in any process can read them: the
// file's bytes under `<prefix>:import:<id>:upload` until the import is over, its status in a hash
// `<prefix>:import:<id>`, and its refused-rows report appended to `<prefix>:import:<id>:report`.
// Everything expires on its own; the id is 128 random bits, so it can stand in a page's URL.
import { randomBytes } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { Person } from '../../domain/people/person.ts';
import type { Imports, ImportState, ImportStatus, ImportTally } from '../../ports/imports.ts';
import { onRedis, type Redis } from './connection.ts';

/** An upload no worker has taken within a day is dropped (its page then says so). */
export const UPLOAD_LIFETIME_MS = 24 * 3600_000;
/** The status and report stay a week, for the person to come back to and download. */
export const IMPORT_LIFETIME_MS = 7 * 24 * 3600_000;

const IMPORT_ID = /^[A-Za-z0-9_-]{22}$/;
const STATES: readonly string[] = ['queued', 'running', 'done', 'refused', 'failed'];

const NO_ROWS: ImportTally = { rows: 0, accepted: 0, refused: 0 };

/** Just the tally's fields, whatever else the object handed in holds. */
function tallyFields(tally: ImportTally) {
  return { rows: tally.rows, accepted: tally.accepted, refused: tally.refused };
}

function parseStatus(hash: Record<string, string>): ImportStatus | undefined {
  // Only this module writes the hash; a missing or half-expired one is no import.
  if (hash.fileName === undefined || !STATES.includes(hash.state ?? '')) return undefined;
  const number = (field: string | undefined) => Number(field ?? 0);
  return {
    fileName: hash.fileName,
    state: hash.state as ImportState,
    ...(hash.total === undefined ? {} : { total: number(hash.total) }),
    tally: {
      rows: number(hash.rows),
      accepted: number(hash.accepted),
      refused: number(hash.refused),
    },
    lines: JSON.parse(hash.lines ?? '[]') as string[],
    hasReport: hash.hasReport === '1',
    ...(hash.uploadedBy ? { uploadedBy: JSON.parse(hash.uploadedBy) as Person } : {}),
  };
}

/** EXEC answers each command's error rather than throwing it: the first one is thrown here. */
async function exec(multi: ChainableCommander): Promise<void> {
  const replies = await multi.exec();
  const failed = replies?.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
}

export function createImports(redis: Redis, prefix: string): Imports {
  const key = (id: string) => `${prefix}:import:${id}`;
  const uploadKey = (id: string) => `${key(id)}:upload`;
  const reportKey = (id: string) => `${key(id)}:report`;
  const known = (id: string) => IMPORT_ID.test(id);

  return {
    create: (fileName, bytes, uploadedBy) =>
      onRedis(redis, async () => {
        const id = randomBytes(16).toString('base64url');
        const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        await exec(
          redis
            .multi()
            .set(uploadKey(id), buffer, 'PX', UPLOAD_LIFETIME_MS)
            .hset(key(id), {
              fileName,
              state: 'queued',
              ...NO_ROWS,
              ...(uploadedBy ? { uploadedBy: JSON.stringify(uploadedBy) } : {}),
            })
            .pexpire(key(id), IMPORT_LIFETIME_MS),
        );
        return id;
      }),
    status: (id) =>
      known(id)
        ? onRedis(redis, async () => parseStatus(await redis.hgetall(key(id))))
        : Promise.resolve(undefined),
    upload: (id) =>
      known(id)
        ? onRedis(redis, async () => (await redis.getBuffer(uploadKey(id))) ?? undefined)
        : Promise.resolve(undefined),
    begin: (id, total) =>
      onRedis(redis, async () => {
        await exec(
          redis
            .multi()
            .hset(key(id), {
              state: 'running',
              total,
              hasReport: '0',
              ...NO_ROWS,
            })
            .del(reportKey(id))
            .pexpire(key(id), IMPORT_LIFETIME_MS),
        );
      }),
    progress: (id, tally, reportText) =>
      onRedis(redis, async () => {
        const multi = redis.multi().hset(key(id), tallyFields(tally));
        if (reportText !== '') {
          multi
            .append(reportKey(id), reportText)
            .pexpire(reportKey(id), IMPORT_LIFETIME_MS)
            .hset(key(id), 'hasReport', '1');
        }
        await exec(multi);
      }),
    finish: (id, state, lines) =>
      onRedis(redis, async () => {
        await exec(
          redis
            .multi()
            .hset(key(id), { state, lines: JSON.stringify(lines) })
            .del(uploadKey(id))
            .pexpire(key(id), IMPORT_LIFETIME_MS),
        );
      }),
    report: (id) =>
      known(id)
        ? onRedis(redis, async () => (await redis.get(reportKey(id))) ?? undefined)
        : Promise.resolve(undefined),
  };
}
