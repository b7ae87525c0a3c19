// The follow-up jobs: the chaser, the notices and the emails about an action on a request (asked
// for changes, new test dates, withdrawn) on the mail queue (they send mail),
// the two repeating sweeps on the follow-up queue as BullMQ job schedulers (v6 has no repeat
// jobs). Readable names and ids derived from the request id (LIBRARIES.md), a priority on every
// job, bounded retention per kind.
import type { JobsOptions, Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import {
  chaserPlan,
  type ChaserPlan,
  type ChaserSettings,
} from '../../domain/follow-up-schedule.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import type { WorkingCalendar } from '../../domain/working-days.ts';
import {
  actionEmailJob,
  CATALOGUE_CHECK_JOB,
  CHASER_JOB,
  CONFIGURED_NOTICE_JOB,
  OVERDUE_NOTICE_JOB,
  OVERDUE_SWEEP_JOB,
  type ActionEmail,
  type ActionEmailJobData,
  type ChaserJobData,
  type FollowUpJobs,
  type NoticeJobData,
} from '../../ports/jobs.ts';
import { addJobToTransaction, PRIORITY } from './queues.ts';

export const chaserJobId = (requestId: string) => `chaser-${requestId}`;
export const configuredNoticeJobId = (requestId: string) => `configured-${requestId}`;
export const overdueNoticeJobId = (requestId: string) => `overdue-${requestId}`;
/** One per history entry: `changes-requested-req-…-7`. */
export const actionEmailJobId = (kind: ActionEmail, data: ActionEmailJobData) =>
  `${kind}-${data.requestId}-${data.entry}`;

export const OVERDUE_SWEEP_EVERY_MS = 5 * 60_000;
/** Each sweep asks only about the requests whose own interval has passed (domain/follow-up-schedule.ts). */
export const CATALOGUE_SWEEP_EVERY_MS = 60_000;

const RETAIN = {
  removeOnComplete: { age: 30 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
};
const MAIL_RETRIES = { attempts: 6, backoff: { type: 'exponential', delay: 60_000 } };

export function chaserJobOptions(
  record: Pick<RequestRecord, 'urgency'>,
  plan: ChaserPlan,
  now: Date,
): JobsOptions {
  return {
    priority: PRIORITY[record.urgency.level],
    // Relative to when it is added: BullMQ keeps its own time, and an injected clock (tests)
    // then moves only our side of it.
    delay: Math.max(1, plan.at.getTime() - now.getTime()),
    ...MAIL_RETRIES,
    ...RETAIN,
  };
}

/** Adds the planned chaser inside the intake MULTI, so a request and its reminder land together. */
export async function addChaserToTransaction(
  queue: Queue,
  multi: ChainableCommander,
  record: RequestRecord,
  plan: ChaserPlan,
  now: Date,
): Promise<void> {
  const data: ChaserJobData = { requestId: record.id, sendOn: plan.sendOn };
  await addJobToTransaction(
    queue,
    multi,
    CHASER_JOB,
    data,
    chaserJobOptions(record, plan, now),
    chaserJobId(record.id),
  );
}

/** Removes a request's chaser unless a worker holds it (the handler then finds it stale). */
export async function removeChaser(queue: Queue, requestId: string): Promise<void> {
  const job = await queue.getJob(chaserJobId(requestId));
  if (job && !(await job.isActive())) await job.remove();
}

/**
 * Puts a request's chaser back as `plan` has it (or takes it off, without one): for a request whose
 * test dates or urgency changed. Adding an id that exists is silently ignored by BullMQ, so the old
 * job goes first; one a worker holds stays, and finds itself stale when it runs.
 */
export async function replaceChaser(
  queue: Queue,
  record: RequestRecord,
  plan: ChaserPlan | undefined,
  now: Date,
): Promise<void> {
  await removeChaser(queue, record.id);
  if (!plan) return;
  const data: ChaserJobData = { requestId: record.id, sendOn: plan.sendOn };
  await queue.add(CHASER_JOB, data, {
    ...chaserJobOptions(record, plan, now),
    jobId: chaserJobId(record.id),
  });
}

/** Plans the chaser again from the record as it is now (replaceChaser with its plan). */
export async function rescheduleChaser(
  queue: Queue,
  record: RequestRecord,
  calendar: WorkingCalendar,
  settings: ChaserSettings,
  now: Date,
): Promise<ChaserPlan | undefined> {
  const plan = chaserPlan(record, calendar, settings);
  await replaceChaser(queue, record, plan, now);
  return plan;
}

/** A notice to the requester: high priority, retried like any email, at most one per id. */
async function addNotice(queue: Queue, name: string, jobId: string, requestId: string) {
  const data: NoticeJobData = { requestId };
  await queue.add(name, data, { jobId, priority: PRIORITY.high, ...MAIL_RETRIES, ...RETAIN });
}

/** An email about an action on a request: a person is waiting on it, so high priority. */
export async function addActionEmail(
  queue: Queue,
  kind: ActionEmail,
  data: ActionEmailJobData,
): Promise<void> {
  await queue.add(actionEmailJob(kind), data, {
    jobId: actionEmailJobId(kind, data),
    priority: PRIORITY.high,
    ...MAIL_RETRIES,
    ...RETAIN,
  });
}

export async function addConfiguredNotice(queue: Queue, requestId: string): Promise<void> {
  await addNotice(queue, CONFIGURED_NOTICE_JOB, configuredNoticeJobId(requestId), requestId);
}

/** The follow-up jobs port on the mail queue. */
export function createFollowUpJobs(queue: Queue): FollowUpJobs {
  return {
    removeChaser: (requestId) => removeChaser(queue, requestId),
    addConfiguredNotice: (requestId) => addConfiguredNotice(queue, requestId),
    addOverdueNotice: (requestId) =>
      addNotice(queue, OVERDUE_NOTICE_JOB, overdueNoticeJobId(requestId), requestId),
    replaceChaser: (record, plan, now) => replaceChaser(queue, record, plan, now),
    addActionEmail: (kind, data) => addActionEmail(queue, kind, data),
  };
}

/** Sweeps run every few minutes: the last hundred are plenty to read in the dashboard. */
export const SWEEP_OPTIONS = {
  priority: PRIORITY.high,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/**
 * Registers the repeating sweeps on the follow-up queue (idempotent: every worker start upserts
 * them). The catalogue check exists only while some CATALOGUE_URL_<ENV> is set; otherwise a stale
 * one is removed. Sweeps registered on the mail queue before the queues were split are removed
 * there: their `count: 100` retention would trim the send jobs too.
 */
export async function ensureFollowUpSchedulers(
  queue: Queue,
  options: { catalogue: boolean; mailQueue: Queue },
): Promise<void> {
  await Promise.all(
    [OVERDUE_SWEEP_JOB, CATALOGUE_CHECK_JOB].map((id) => options.mailQueue.removeJobScheduler(id)),
  );
  await queue.upsertJobScheduler(
    OVERDUE_SWEEP_JOB,
    { every: OVERDUE_SWEEP_EVERY_MS },
    { name: OVERDUE_SWEEP_JOB, data: {}, opts: SWEEP_OPTIONS },
  );
  if (options.catalogue) {
    await queue.upsertJobScheduler(
      CATALOGUE_CHECK_JOB,
      { every: CATALOGUE_SWEEP_EVERY_MS },
      { name: CATALOGUE_CHECK_JOB, data: {}, opts: SWEEP_OPTIONS },
    );
  } else {
    await queue.removeJobScheduler(CATALOGUE_CHECK_JOB);
  }
}
