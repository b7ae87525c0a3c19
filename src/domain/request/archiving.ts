// Which records leave Redis for an archive file (`ecat archive --before DATE`): the closed ones,
// configured or cancelled, whose last change came before DATE. Dates are London's, as everywhere
// in ecat (DOMAIN.md), so "before 2026-04-01" means last changed on 31 March or earlier in London.
import { isRealIsoDate, londonDate, type IsoDate } from '../dates.ts';
import {
  isOutstanding,
  REQUEST_STATUSES,
  type RequestRecord,
  type RequestStatus,
} from './record.ts';

/** Statuses no request leaves (record.ts's transitions): only these are archived. */
export const CLOSED_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter(
  (status) => !isOutstanding(status),
);

/**
 * When the record last changed: the later of `updatedAt` and its last history entry. Every write
 * sets both together; taking the later keeps a record whose history was written without an
 * `updatedAt` (or the other way round) from looking older than it is.
 */
export function lastChangeAt(record: Pick<RequestRecord, 'updatedAt' | 'history'>): string {
  const last = record.history.at(-1)?.at;
  const candidates = [record.updatedAt, last].filter(
    (at): at is string => typeof at === 'string' && !Number.isNaN(Date.parse(at)),
  );
  const latest = Math.max(...candidates.map((at) => Date.parse(at)));
  return Number.isFinite(latest) ? new Date(latest).toISOString() : record.updatedAt;
}

/** Closed, and last changed on a London date before `before`. */
export function isArchivable(record: RequestRecord, before: IsoDate): boolean {
  if (!CLOSED_STATUSES.includes(record.status)) return false;
  return londonDate(new Date(lastChangeAt(record))) < before;
}

/**
 * The `--before` date as typed: a real YYYY-MM-DD no later than `today` (an archive of records
 * changed "before" a future date would take today's changes too). A reason when it is not.
 */
export function archiveCutoff(
  text: string,
  today: IsoDate,
): { ok: true; date: IsoDate } | { ok: false; reason: string } {
  if (!isRealIsoDate(text)) {
    return { ok: false, reason: `--before must be a real date as YYYY-MM-DD (got '${text}')` };
  }
  if (text > today) {
    return { ok: false, reason: `--before must be today (${today}) or earlier (got '${text}')` };
  }
  return { ok: true, date: text };
}
