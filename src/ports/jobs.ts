// The jobs ecat queues, as the use cases see them: their names and data, the one view of a running
// job a handler needs, and the follow-up jobs a use case may add or take back. The BullMQ adapter
// (adapters/queues/) implements it; nothing outside that folder sees a BullMQ type.
import type { UrgencyLevel } from '../domain/urgency.ts';

/** The send job: the email to the BaRS mailbox (mail queue). */
export const SEND_JOB = 'configure-endpoint';
/** The reminder to the BaRS mailbox (mail queue). */
export const CHASER_JOB = 'chaser';
/** The "you are live" notice to the requester (mail queue). */
export const CONFIGURED_NOTICE_JOB = 'configured-notice';
/** The notice that testing has started without the service configured (mail queue). */
export const OVERDUE_NOTICE_JOB = 'overdue-notice';
/** The repeating sweeps (follow-up queue). */
export const OVERDUE_SWEEP_JOB = 'overdue-sweep';
export const CATALOGUE_CHECK_JOB = 'catalogue-check';

export interface SendJobData {
  requestId: string;
  dosServiceId: string;
  environment: string;
  urgency: UrgencyLevel;
}

export interface ChaserJobData {
  requestId: string;
  /** The day it was planned for: a job whose plan no longer holds is stale and does nothing. */
  sendOn: string;
}

export interface NoticeJobData {
  requestId: string;
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
}
