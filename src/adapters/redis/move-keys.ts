// Moves every key under one prefix to another (`ecat migrate-keys`): a deployment that goes to
// Redis Cluster needs its keys under a hash tag ({ecat}) so they share one slot. DUMP and RESTORE
// (with the key's time to live) rather than RENAME, which a Cluster refuses across slots.
import { primaries, type Redis } from './connection.ts';

export interface MoveReport {
  moved: number;
  /** Keys left where they were, as the new name was taken: nothing is overwritten. */
  taken: string[];
}

/** Keys read per SCAN round trip, and moved per batch. */
const BATCH = 500;

async function moveOne(
  redis: Redis,
  key: string,
  target: string,
): Promise<'moved' | 'taken' | 'gone'> {
  const [ttl, dump] = await Promise.all([
    redis.pttl(key),
    // null for a key gone since the scan (ioredis's type leaves that out).
    redis.dumpBuffer(key) as Promise<Buffer | null>,
  ]);
  if (dump === null) return 'gone';
  try {
    await redis.restore(target, ttl > 0 ? ttl : 0, dump);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYKEY')) return 'taken';
    throw error;
  }
  await redis.del(key);
  return 'moved';
}

/**
 * Every key starting `${from}:` becomes `${to}:` and the rest of its name, on every primary.
 * Run with ecat stopped: a key written meanwhile under the old prefix would be left behind.
 */
export async function moveKeys(
  redis: Redis,
  from: string,
  to: string,
  onProgress: (moved: number) => void = () => undefined,
): Promise<MoveReport> {
  const report: MoveReport = { moved: 0, taken: [] };
  for (const node of primaries(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(
        cursor,
        'MATCH',
        `${escapeGlob(from)}:*`,
        'COUNT',
        BATCH,
      );
      cursor = next;
      // Through `redis`, so a Cluster routes each new name to its own slot's node.
      const outcomes = await Promise.all(
        keys.map((key) => moveOne(redis, key, `${to}${key.slice(from.length)}`)),
      );
      outcomes.forEach((outcome, i) => {
        if (outcome === 'moved') report.moved += 1;
        if (outcome === 'taken') report.taken.push(keys[i] ?? '');
      });
      onProgress(report.moved);
    } while (cursor !== '0');
  }
  return report;
}

/** A prefix as a SCAN pattern matches it literally ({ecat} has no glob characters, but [x] would). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
