// Changing an accepted request: a status change (change-status.lua), a note in its history
// (add-note.lua) or new test dates (change-test-dates.lua). Each reads the record, computes the next
// one, and writes it only if the record is still the one read; if another process moved it on
// meanwhile, it reads again and retries.
import type { Redis } from '../connection.ts';
import { parseRecord, recordPlaces, recordFiling, type RequestKeys } from './keys.ts';
import {
  canTransition,
  isOutstanding,
  type RequestRecord,
  type RequestStatus,
} from '../../../domain/request/record.ts';
import type {
  NewEntry,
  RecordPatch,
  TestDatesChange,
  TransitionResult,
} from '../../../ports/request-store.ts';
import type { RequestScripts } from './scripts.ts';

/** KEYS and ARGV of change-status.lua, from the record as read (`json`) to `next`. */
function changeStatusArgs(
  keys: RequestKeys,
  before: RequestRecord,
  json: string,
  next: RequestRecord,
): string[] {
  const places = recordPlaces(keys, next);
  const filing = recordFiling(next);
  const counter = next.status === 'sent' || next.status === 'failed' ? next.status : '';
  return [
    places.record,
    places.duplicate,
    keys.index(before.status),
    keys.index(next.status),
    places.all,
    places.outstanding,
    places.group,
    places.byTestDate,
    keys.counters,
    json,
    JSON.stringify(next),
    next.id,
    filing.createdAt,
    filing.testDate,
    filing.outstanding,
    counter,
  ];
}

/** KEYS and ARGV of change-test-dates.lua, from the record as read (`json`) to `next`. */
function changeTestDatesArgs(
  keys: RequestKeys,
  before: RequestRecord,
  json: string,
  next: RequestRecord,
): string[] {
  const filing = recordFiling(next);
  return [
    keys.record(next.id),
    recordPlaces(keys, before).group,
    recordPlaces(keys, next).group,
    keys.byTestDate,
    json,
    JSON.stringify(next),
    next.id,
    filing.createdAt,
    filing.testDate,
  ];
}

export function createChanges(
  redis: Redis,
  keys: RequestKeys,
  scripts: RequestScripts,
  now: () => Date,
) {
  function changed(
    record: RequestRecord,
    status: RequestStatus,
    entry: NewEntry,
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

  return {
    transition: async (
      id: string,
      to: RequestStatus,
      entry: NewEntry,
      patch?: RecordPatch,
    ): Promise<TransitionResult> => {
      for (;;) {
        const json = await redis.get(keys.record(id));
        const record = parseRecord(json);
        if (json === null || record === undefined) return { ok: false, reason: 'not-found' };
        if (!canTransition(record.status, to)) return { ok: false, reason: 'not-allowed', record };
        // CONTRACT.md: only an outstanding request can be overdue.
        const next = changed(record, to, entry, {
          ...(isOutstanding(to) ? {} : { overdue: false }),
          ...patch,
        });
        const written = await scripts.ecatChangeStatus(
          ...changeStatusArgs(keys, record, json, next),
        );
        if (written === 1) return { ok: true, record: next };
      }
    },

    changeTestDates: async (
      id: string,
      change: (record: RequestRecord) => TestDatesChange,
    ): Promise<TransitionResult> => {
      for (;;) {
        const json = await redis.get(keys.record(id));
        const record = parseRecord(json);
        if (json === null || record === undefined) return { ok: false, reason: 'not-found' };
        if (!isOutstanding(record.status)) return { ok: false, reason: 'not-allowed', record };
        const { testDates, urgency, overdue, entry } = change(record);
        const next = changed(record, record.status, entry, {
          request: { ...record.request, testDates },
          urgency,
          earliestTestDate: testDates.from,
          overdue,
        });
        const written = await scripts.ecatChangeTestDates(
          ...changeTestDatesArgs(keys, record, json, next),
        );
        if (written === 1) return { ok: true, record: next };
      }
    },

    note: async (
      id: string,
      entry: NewEntry,
      patch?: RecordPatch,
      onlyIf?: (record: RequestRecord) => boolean,
    ): Promise<RequestRecord | undefined> => {
      for (;;) {
        const json = await redis.get(keys.record(id));
        const record = parseRecord(json);
        if (json === null || record === undefined) return undefined;
        if (onlyIf && !onlyIf(record)) return undefined;
        const next = changed(record, record.status, entry, patch);
        const written = await scripts.ecatAddNote(keys.record(id), json, JSON.stringify(next));
        if (written === 1) return next;
      }
    },
  };
}
