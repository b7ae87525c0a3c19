// How long the oldest job now due on a queue has waited for a worker: the figure that says the
// workers are gone or behind (the "oldest waiting job" alert), whatever the queue's length.
import type { Queue } from 'bullmq';
import type { Redis } from '../redis/connection.ts';

/** Stream entries read per round trip while looking for the due jobs' "waiting" events. */
const PAGE = 500;

/** A stream id is `<ms>-<seq>` on Redis's clock. */
const msOf = (streamId: string) => Number(streamId.split('-')[0]);

/**
 * BullMQ keeps no "due since" on a job: `timestamp` is when it was added (days before a chaser is
 * due) and a delayed job's `delay` is zeroed when it is promoted. Its events stream does record
 * every move to waiting (added, promoted, retried, stalled), with Redis's clock in the entry's id.
 * So the due jobs' ids are read, then the stream newest first until each id's latest "waiting" is
 * found. A job whose event the capped stream no longer holds has waited at least as long as the
 * stream's oldest entry, and is counted so. The stream is not read when nothing waits.
 */
export async function oldestWaitingSeconds(redis: Redis, queue: Queue): Promise<number> {
  const [wait, prioritized, events] = ['wait', 'prioritized', 'events'].map((type) =>
    queue.toKey(type),
  ) as [string, string, string];
  const [waiting, ranked, time] = await Promise.all([
    redis.lrange(wait, 0, -1),
    redis.zrange(prioritized, '0', '-1'),
    redis.time(),
  ]);
  const due = new Set([...waiting, ...ranked]);
  if (due.size === 0) return 0;
  const nowMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);

  let oldestMs = nowMs;
  let end = '+';
  for (;;) {
    const entries = await redis.xrevrange(events, end, '-', 'COUNT', PAGE);
    for (const [id, fields] of entries) {
      // Read newest first: the first "waiting" met for a job is its latest, the last met the oldest.
      if (fields[1] !== 'waiting') continue;
      const jobId = fields[fields.indexOf('jobId') + 1];
      if (jobId !== undefined && due.delete(jobId)) oldestMs = msOf(id);
    }
    const last = entries.at(-1);
    if (due.size === 0 || last === undefined) break;
    // The stream ran out with some due jobs unfound: they have waited since before its start.
    if (entries.length < PAGE) {
      oldestMs = Math.min(oldestMs, msOf(last[0]));
      break;
    }
    end = `(${last[0]}`;
  }
  return Math.max(0, (nowMs - oldestMs) / 1000);
}
