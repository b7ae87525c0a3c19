// The request record: what ecat keeps about a request from acceptance until it is configured,
// including its history. Status names, "outstanding" and "overdue" are fixed by CONTRACT.md ("Statuses").
import type { CareConnectFinding } from '../careconnect/finding.ts';
import type { Actor, Person } from '../people/person.ts';
import { londonDate, type IsoDate } from '../dates.ts';
import type { Urgency } from '../urgency.ts';
import type { ConfigurationRequest } from './schema.ts';

export const REQUEST_STATUSES = ['queued', 'sent', 'configured', 'failed', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const OUTSTANDING_STATUSES: readonly RequestStatus[] = ['queued', 'sent', 'failed'];

export function isOutstanding(status: RequestStatus): boolean {
  return OUTSTANDING_STATUSES.includes(status);
}

/** Which status changes are allowed; anything else is refused (HTTP 409, CLI exit 1). */
const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  queued: ['sent', 'failed', 'configured', 'cancelled'],
  sent: ['configured', 'cancelled', 'failed'],
  failed: ['queued', 'configured', 'cancelled'],
  configured: [],
  cancelled: [],
};

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export interface HistoryEntry {
  /** ISO 8601 instant. */
  at: string;
  /** The status after this event (unchanged for events such as a chaser or a re-check). */
  status: RequestStatus;
  /** What happened: 'queued', 'sent', 'failed', 'configured', 'cancelled', 'retry', 'chaser', 'overdue', … */
  event: string;
  /** In words, for people: "accepted by smtp.example: 250 OK id=…", "550 mailbox unavailable". */
  reason: string;
  /** Facts worth keeping: SMTP code and response, Message-ID, who confirmed, template version. */
  details?: Record<string, string | number | boolean>;
  /** Who did it: a person, or a part of ecat. Absent only in entries written before people. */
  actor?: Actor;
}

/** A request ecat will accept, with everything derived from it. */
export interface AssessedRequest {
  request: ConfigurationRequest;
  urgency: Urgency;
  careConnect: CareConnectFinding;
  warnings: string[];
}

export interface RequestRecord extends AssessedRequest {
  /** `req-<uuid>`: never all digits and no colon, so it is a valid BullMQ job id base. */
  id: string;
  status: RequestStatus;
  /** Fixed at acceptance, so every send of this request carries the same Message-ID. */
  messageId: string;
  /** ISO 8601 instant of acceptance: a request is not overdue on its London date. */
  createdAt: string;
  updatedAt: string;
  /** The earliest proposed test date, when given: drives overdue and chasers. */
  earliestTestDate?: IsoDate;
  /** Stored: set when the overdue sweep marks it. As shown: `presentRecord`. */
  overdue: boolean;
  history: HistoryEntry[];
  /** The signed-in person who submitted it; absent when it came by a shared credential. */
  submittedBy?: Person;
}

/**
 * CONTRACT.md ("Statuses"): a request is never overdue on the day it arrives (London), so nobody
 * is told it is overdue the moment they send it; from the next day it may be.
 */
export function submittedBefore(createdAt: Date, today: IsoDate): boolean {
  return londonDate(createdAt) < today;
}

/**
 * CONTRACT.md: outstanding, its earliest test date has come, and submitted before today (all
 * London dates). A request made on or after its first test date is overdue from the next day.
 */
export function isOverdue(
  record: Pick<RequestRecord, 'status' | 'earliestTestDate' | 'createdAt'>,
  today: IsoDate,
): boolean {
  return (
    isOutstanding(record.status) &&
    record.earliestTestDate !== undefined &&
    record.earliestTestDate <= today &&
    submittedBefore(new Date(record.createdAt), today)
  );
}

/**
 * The record as users see it: `overdue` derived at reading time, so it shows from the day itself
 * whether or not the sweep has run; once the sweep has marked it (and told the requester so), it
 * stays shown while the request is outstanding (leaving that clears the flag).
 */
export function presentRecord(record: RequestRecord, today: IsoDate): RequestRecord {
  return { ...record, overdue: record.overdue || isOverdue(record, today) };
}
