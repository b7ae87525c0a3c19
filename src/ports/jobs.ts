// The jobs ecat queues, as the use cases see them: their names and data, the one view of a running
// job a handler needs, and the follow-up jobs a use case may add or take back. The BullMQ adapter
// (adapters/queues/) implements it; nothing outside that folder sees a BullMQ type.
import type { ChaserPlan } from '../domain/follow-up-schedule.ts';
import type { RequestRecord } from '../domain/request/record.ts';
import type { UrgencyLevel } from '../domain/urgency.ts';

/** The send job: the email to the BaRS mailbox (mail queue). */
export const SEND_JOB = 'configure-endpoint';
/** The reminder to the BaRS mailbox (mail queue). */
export const CHASER_JOB = 'chaser';
/** The "you are live" notice to the requester (mail queue). */
export const CONFIGURED_NOTICE_JOB = 'configured-notice';
/** The notice that testing has started without the service configured (mail queue). */
export const OVERDUE_NOTICE_JOB = 'overdue-notice';
/**
 * The emails an action on a request sends (mail queue), each named for the history event it tells
 * of: the BaRS team asked the requester for changes; the requester changed the test dates, or
 * withdrew the request (both to the BaRS mailbox).
 */
export const ACTION_EMAILS = ['changes-requested', 'test-dates-changed', 'withdrawn'] as const;
export type ActionEmail = (typeof ACTION_EMAILS)[number];
/** The job (and, once sent, the history event) of an action's email: `withdrawn-email`. */
export const actionEmailJob = (kind: ActionEmail): string => `${kind}-email`;
/** The repeating sweeps (follow-up queue). */
export const OVERDUE_SWEEP_JOB = 'overdue-sweep';
export const CATALOGUE_CHECK_JOB = 'catalogue-check';

export interface SendJobData {
  requestId: string;
  dosServiceId: string;
  environment: string;
  urgency: UrgencyLevel;
  /** The W3C trace context of the intake that queued it, when tracing is on: the send joins its trace. */
  traceparent?: string;
}

export interface ChaserJobData {
  requestId: string;
  /** The day it was planned for: a job whose plan no longer holds is stale and does nothing. */
  sendOn: string;
}

export interface NoticeJobData {
  requestId: string;
}

export interface ActionEmailJobData {
  requestId: string;
  /**
   * Where in the request's history the event this email tells of is: one email per event, with a
   * Message-ID of its own, the same on every retry (a request may be asked for changes twice).
   */
  entry: number;
}

/** A job as its handler sees it. */
export interface RunningJob<Data = unknown> {
  readonly data: Data;
  /** Attempts before this one. */
  readonly attemptsMade: number;
  readonly opts: { attempts?: number };
  /** A line the dashboard shows with the job. */
  log(line: string): Promise<unknown>;
}

export type JobHandler = (job: RunningJob) => Promise<string>;

/** This attempt's number (from 1) and whether it is the job's last. */
export function attemptOf(job: RunningJob): { number: number; last: boolean } {
  const number = job.attemptsMade + 1;
  return { number, last: number >= (job.opts.attempts ?? 1) };
}

/** The follow-up jobs a use case adds or takes back once a request is accepted. */
export interface FollowUpJobs {
  /** Takes a request's chaser off the queue, unless a worker holds it (it then finds it stale). */
  removeChaser(requestId: string): Promise<void>;
  /** Queues the "you are live" notice, once per request. */
  addConfiguredNotice(requestId: string): Promise<void>;
  /** Queues the overdue notice; while one is queued for the request, asking again adds none. */
  addOverdueNotice(requestId: string): Promise<void>;
  /**
   * Takes the request's chaser off the queue and, when `plan` is given, queues it again as planned
   * (test dates changed): `now` is the clock the delay is counted from.
   */
  replaceChaser(record: RequestRecord, plan: ChaserPlan | undefined, now: Date): Promise<void>;
  /** Queues the email about an action on a request, once per history entry. */
  addActionEmail(kind: ActionEmail, data: ActionEmailJobData): Promise<void>;
}
