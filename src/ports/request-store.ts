// The request store port: every request record, its history and indexes, behind domain types. A
// new record is accepted with its jobs (the send job, and its chaser when one is planned) in one
// step, or not at all. The Redis adapter (adapters/redis/requests/) implements it; its failures
// reach callers as DependencyUnavailableError.
import type { ChaserPlan } from '../domain/follow-up-schedule.ts';
import type { HistoryEntry, RequestRecord, RequestStatus } from '../domain/request/record.ts';

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
}

export type CreateResult = { ok: true } | { ok: false; existingId: string };

export type TransitionResult =
  | { ok: true; record: RequestRecord }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'not-allowed'; record: RequestRecord };

export type NewEntry = Omit<HistoryEntry, 'at' | 'status'>;
export type RecordPatch = Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>;

export interface RequestStore {
  get(id: string): Promise<RequestRecord | undefined>;
  /** The request a short reference (ECAT-…, as referenceFor gives it) stands for. */
  findByReference(reference: string): Promise<RequestRecord | undefined>;
  list(filter: ListFilter, options?: { limit?: number; cursor?: string }): Promise<RequestPage>;
  count(filter: ListFilter): Promise<number>;
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
