// The request store port: every request record, its history and indexes, behind domain types. A
// new record is accepted with its jobs (the send job, and its chaser when one is planned) in one
// step, or not at all. The Redis adapter (adapters/redis/requests/) implements it; its failures
// reach callers as DependencyUnavailableError.
import type { ChaserPlan } from '../domain/follow-up-schedule.ts';
import type { Actor } from '../domain/people/person.ts';
import type { HistoryEntry, RequestRecord, RequestStatus } from '../domain/request/record.ts';
import type { ConfigurationRequest } from '../domain/request/schema.ts';
import type { Urgency } from '../domain/urgency.ts';

export type ListFilter = RequestStatus | 'outstanding' | 'all';

export interface RequestPage {
  items: RequestRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
  total: number;
}

/** A freshly accepted request and the chaser planned for it, if any. */
export interface NewRequest {
  record: RequestRecord;
  chaser?: ChaserPlan;
  /**
   * An answer to keep under a name with the record, in the same step, for a day (an
   * Idempotency-Key's): a client that retries after losing the first answer gets it again.
   */
  remember?: { name: string; value: string };
}

export type CreateResult = { ok: true } | { ok: false; existingId: string };

export type TransitionResult =
  | { ok: true; record: RequestRecord }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'not-allowed'; record: RequestRecord };

/** A history entry as a caller writes it: the store adds when and the status. Every one names who. */
export type NewEntry = Omit<HistoryEntry, 'at' | 'status' | 'actor'> & { actor: Actor };
export type RecordPatch = Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>;

/** New test dates for a request, what they make of it, and the history entry that says so. */
export interface TestDatesChange {
  testDates: NonNullable<ConfigurationRequest['testDates']>;
  /** Rated from the new dates; the record is filed in its group of outstanding requests. */
  urgency: Urgency;
  overdue: boolean;
  entry: NewEntry;
}

export interface RequestStore {
  get(id: string): Promise<RequestRecord | undefined>;
  /** The request a short reference (ECAT-…, as referenceFor gives it) stands for. */
  findByReference(reference: string): Promise<RequestRecord | undefined>;
  list(filter: ListFilter, options?: { limit?: number; cursor?: string }): Promise<RequestPage>;
  count(filter: ListFilter): Promise<number>;
  /**
   * Every request in a list, in its index's order (acceptance), read 500 at a time, for the pages
   * that filter, sort and page the whole list in memory. Outstanding requests run to tens or
   * hundreds; `all` and the closed statuses read every record of that status.
   */
  readAll(filter: ListFilter): Promise<RequestRecord[]>;
  /**
   * The requests overdue on `today` (CONTRACT.md): outstanding, earliest test date on or before
   * today, and submitted before today. Cheap enough for every metrics scrape (no record is read).
   */
  overdueIds(today: string): Promise<string[]>;
  countGroup(environment: string, urgency: string): Promise<number>;
  counters(): Promise<{ sent: number; failed: number }>;
  /**
   * Writes a new record with its indexes and its jobs, unless an outstanding request for the same
   * service and environment exists (answered with that request's id). It lands whole or not at all.
   */
  accept(request: NewRequest): Promise<CreateResult>;
  /** The answer kept under `name` by an accept (NewRequest.remember), while it is kept. */
  recall(name: string): Promise<string | undefined>;
  /**
   * `accept` for many records in one step (the CSV import). A record whose service and environment
   * already has an outstanding request, in the store or earlier in the batch, is left out.
   */
  acceptMany(requests: readonly NewRequest[]): Promise<CreateResult[]>;
  transition(
    id: string,
    to: RequestStatus,
    entry: NewEntry,
    patch?: RecordPatch,
  ): Promise<TransitionResult>;
  /**
   * Gives an outstanding request new test dates, with the urgency and overdue flag `change` makes of
   * the record as read, and files it again where they put it (its environment × urgency group, the
   * index by earliest test date), all in one step. Refused (not-allowed) once it is not outstanding.
   */
  changeTestDates(
    id: string,
    change: (record: RequestRecord) => TestDatesChange,
  ): Promise<TransitionResult>;
  /**
   * Adds an event that does not change the status (a retry, a re-check, a chaser); with `onlyIf`,
   * only when the record as read just before the write passes it (else undefined, nothing written).
   */
  note(
    id: string,
    entry: NewEntry,
    patch?: RecordPatch,
    onlyIf?: (record: RequestRecord) => boolean,
  ): Promise<RequestRecord | undefined>;
}
