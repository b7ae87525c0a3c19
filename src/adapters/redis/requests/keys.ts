// Where a request lives in Redis: the names of its keys, how a record is filed in the indexes, and
// its JSON. The Lua scripts take these keys in KEYS, so each script names everything it touches.
import {
  isOutstanding,
  REQUEST_STATUSES,
  type RequestRecord,
} from '../../../domain/request/record.ts';
import type { ListFilter } from '../../../ports/request-store.ts';

export interface RequestKeys {
  record(id: string): string;
  index(filter: ListFilter): string;
  /** Outstanding requests of one environment and urgency, for the metrics. */
  group(environment: string, urgency: string): string;
  /** Outstanding requests scored by earliest test date (YYYYMMDD): overdue is a range of it. */
  byTestDate: string;
  /** Emails sent and failed, counted where every process can see them. */
  counters: string;
  duplicate(dosServiceId: string, environment: string): string;
  /** The request id a short reference (ECAT-…) stands for. */
  reference(reference: string): string;
  /** An answer kept for a retry (NewRequest.remember). */
  remembered(name: string): string;
}

export function requestKeys(prefix: string): RequestKeys {
  return {
    record: (id) => `${prefix}:request:${id}`,
    index: (filter) => `${prefix}:requests:${filter}`,
    group: (environment, urgency) => `${prefix}:requests:outstanding:${environment}:${urgency}`,
    byTestDate: `${prefix}:requests:outstanding:by-test-date`,
    counters: `${prefix}:counters`,
    duplicate: (dosServiceId, environment) => `${prefix}:open:${dosServiceId}:${environment}`,
    reference: (reference) => `${prefix}:reference:${reference}`,
    remembered: (name) => `${prefix}:idempotency:${name}`,
  };
}

export function testDateScore(date: string): number {
  return Number(date.replaceAll('-', ''));
}

/** The keys one record is filed under whatever its status, in the order the scripts take them. */
export function recordPlaces(keys: RequestKeys, record: RequestRecord) {
  const { dosServiceId, environment } = record.request;
  return {
    record: keys.record(record.id),
    all: keys.index('all'),
    outstanding: keys.index('outstanding'),
    group: keys.group(environment, record.urgency.level),
    byTestDate: keys.byTestDate,
    duplicate: keys.duplicate(dosServiceId, environment),
  };
}

/**
 * Every index a record could be in, whatever its status says now: what is searched to take it out
 * of all of them (withdraw-request.lua, archive-request.lua).
 */
export function everyIndex(keys: RequestKeys, record: RequestRecord): string[] {
  const places = recordPlaces(keys, record);
  return [
    ...REQUEST_STATUSES.map((status) => keys.index(status)),
    places.all,
    places.outstanding,
    places.group,
    places.byTestDate,
  ];
}

/** How a record is filed: its scores (acceptance time, earliest test date or ''), and whether it
 * is outstanding ('1') or not ('0'), as the scripts take them in ARGV. */
export function recordFiling(record: RequestRecord) {
  return {
    createdAt: String(Date.parse(record.createdAt)),
    testDate: record.earliestTestDate ? String(testDateScore(record.earliestTestDate)) : '',
    outstanding: isOutstanding(record.status) ? '1' : '0',
  };
}

export function parseRecord(json: string | null): RequestRecord | undefined {
  return json === null ? undefined : (JSON.parse(json) as RequestRecord);
}
