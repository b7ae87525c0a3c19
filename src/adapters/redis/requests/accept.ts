// Accepting new requests: each record, its indexes and its jobs land in one MULTI, or nothing does.
// The duplicate guard is WATCH on the duplicate keys; find-duplicates.lua reports who holds one and
// touches it so the EXEC aborts; accept-request.lua files each record inside the MULTI.
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../connection.ts';
import { referenceFor } from '../../../domain/request/reference.ts';
import { everyIndex, recordPlaces, recordFiling, type RequestKeys } from './keys.ts';
import type { RequestRecord } from '../../../domain/request/record.ts';
import type { CreateResult, NewRequest } from '../../../ports/request-store.ts';
import { inTransaction, type RequestScripts } from './scripts.ts';

/**
 * Adds a new request's jobs to the MULTI that writes its record (the queues adapter's
 * `recordJobsWriter`), so the record and its jobs land together or not at all.
 */
export type RecordJobsWriter = (multi: ChainableCommander, request: NewRequest) => Promise<void>;

/** How long an answer is kept for a retry: a day, as clients retry within minutes. */
const REMEMBER_SECONDS = 24 * 3600;

/** KEYS and ARGV of accept-request.lua for one record. */
function acceptArgs(keys: RequestKeys, record: RequestRecord): string[] {
  const places = recordPlaces(keys, record);
  const filing = recordFiling(record);
  return [
    places.record,
    places.duplicate,
    keys.index(record.status),
    places.all,
    places.outstanding,
    places.group,
    places.byTestDate,
    record.id,
    JSON.stringify(record),
    filing.createdAt,
    filing.testDate,
    filing.outstanding,
  ];
}

/** numberOfKeys, KEYS and ARGV of withdraw-request.lua: every index, whatever the status now. */
function withdrawArgs(keys: RequestKeys, record: RequestRecord): [number, ...string[]] {
  const places = recordPlaces(keys, record);
  const indexes = everyIndex(keys, record);
  return [2 + indexes.length, places.record, places.duplicate, ...indexes, record.id];
}

export function createAccept(
  redis: Redis,
  keys: RequestKeys,
  scripts: RequestScripts,
  addJobs: RecordJobsWriter,
) {
  /**
   * Writes new records, their indexes and what each adds (the jobs) in one MULTI, unless their
   * service and environment has an outstanding request; of two in `entries` the earlier wins.
   *
   * WATCH on the duplicate keys, find-duplicates.lua, then MULTI…EXEC are written together in one
   * synchronous step, so no other command of this shared connection comes between them (a
   * round trip between WATCH and EXEC would let another caller's EXEC clear the WATCH). EXEC thus
   * aborts, writing nothing, if any of those services has an outstanding request or gets one
   * meanwhile; the script's answer says which, and the transaction is built again without them.
   */
  return async function accept(entries: readonly NewRequest[]): Promise<CreateResult[]> {
    const holders = new Map<string, string>();
    for (;;) {
      const holder = new Map(holders);
      const results: CreateResult[] = [];
      const created: RequestRecord[] = [];
      const guarded: string[] = [];
      const multi = redis.multi();
      for (const entry of entries) {
        const { record } = entry;
        const duplicate = keys.duplicate(record.request.dosServiceId, record.request.environment);
        const existingId = holder.get(duplicate);
        if (existingId !== undefined) {
          results.push({ ok: false, existingId });
          continue;
        }
        holder.set(duplicate, record.id);
        guarded.push(duplicate);
        inTransaction(multi).ecatAcceptRequest(...acceptArgs(keys, record));
        // The short reference people quote, findable with the record (a plain SET in the MULTI).
        multi.set(keys.reference(referenceFor(record.id)), record.id);
        if (entry.remember) {
          const { name, value } = entry.remember;
          // NX: of two retries racing with one key, the first's answer is the one kept.
          multi.set(keys.remembered(name), value, 'EX', REMEMBER_SECONDS, 'NX');
        }
        await addJobs(multi, entry);
        created.push(record);
        results.push({ ok: true });
      }
      if (created.length === 0) return results;
      const [, existing, outcome] = await Promise.all([
        redis.watch(...guarded),
        scripts.ecatFindDuplicates(guarded.length, ...guarded),
        multi.exec(),
      ]);
      if (outcome === null) {
        guarded.forEach((key, i) => {
          const id = existing[i];
          if (id !== null && id !== undefined) holders.set(key, id);
        });
        continue;
      }
      // A step that fails inside EXEC does not undo the others (a job script, or a key of the
      // wrong type): take the records back out, so no request stays queued without its job. A
      // record whose own step was refused wrote nothing, and withdrawing it changes nothing. A
      // job left without its record finds no request when it runs and does nothing.
      const failed = outcome.find(([error]) => error !== null)?.[0];
      if (failed) {
        await Promise.all(
          created.map((record) => scripts.ecatWithdrawRequest(...withdrawArgs(keys, record))),
        );
        throw failed;
      }
      return results;
    }
  };
}
