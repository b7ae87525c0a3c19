// The BullMQ queues, one per kind of work: the mail queue (request emails, reminders, notices) and
// the follow-up queue (the repeating sweeps and checks), so each keeps its own retention and, on
// the mail queue, its own limits (LIBRARIES.md: `removeOnComplete: { count }` trims a whole queue,
// and a worker's limiter applies to every job in its queue). Names, ids and options read well in
// the dashboard: readable ids, a priority on every job, bounded retention — the record, not the
// job, is history.
import { Job, Queue, type JobsOptions } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../redis/connection.ts';
import type { UrgencyLevel } from '../../domain/urgency.ts';
import { SEND_JOB, type SendJobData } from '../../ports/jobs.ts';

/** The mail queue: its name predates the split, so jobs queued before it are still found. */
export const QUEUE_NAME = 'bars-configuration';
/** The follow-up queue: the overdue sweep and the catalogue check, nothing that sends mail itself. */
export const FOLLOW_UP_QUEUE_NAME = 'follow-up-sweeps';
/** Lower runs first in BullMQ. */
export const PRIORITY: Record<UrgencyLevel, number> = { urgent: 1, high: 2, routine: 3 };

export function sendJobId(requestId: string): string {
  return `send-${requestId}`;
}

export interface RetryPolicy {
  attempts: number;
  /** First backoff delay; doubles on each retry. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, backoffMs: 30_000 };

export function sendJobOptions(urgency: UrgencyLevel, retry: RetryPolicy): JobsOptions {
  return {
    priority: PRIORITY[urgency],
    attempts: retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
  };
}

export function createQueue(connection: Redis, prefix: string, name = QUEUE_NAME): Queue {
  const queue = new Queue(name, { connection, prefix });
  // Connection trouble reaches callers through their failing commands (HTTP 503, exit 3);
  // without a listener Node would print every reconnect attempt as an unhandled error.
  queue.on('error', () => undefined);
  return queue;
}

/** Queues the send job inside the caller's MULTI, so it lands with the record or not at all. */
export async function addSendJobToTransaction(
  queue: Queue,
  multi: ChainableCommander,
  data: SendJobData,
  retry: RetryPolicy,
): Promise<void> {
  await addJobToTransaction(
    queue,
    multi,
    SEND_JOB,
    data,
    sendJobOptions(data.urgency, retry),
    sendJobId(data.requestId),
  );
}

/** Queues any job inside the caller's MULTI (the send job, a chaser): it lands with the record. */
export async function addJobToTransaction(
  queue: Queue,
  multi: ChainableCommander,
  name: string,
  data: object,
  options: JobsOptions,
  jobId: string,
): Promise<void> {
  // BullMQ runs its Lua scripts through `runCommand` on its own client wrapper; give our MULTI the
  // same entry point, once the queue has loaded those scripts onto the shared connection.
  await queue.waitUntilReady();
  const commands = multi as unknown as Record<string, (args: unknown[]) => unknown>;
  const transaction = Object.assign(multi, {
    runCommand(command: string, args: unknown[]) {
      const send = commands[command];
      if (send === undefined) throw new TypeError(`Redis has no command ${command}`);
      send.call(multi, args);
      return transaction;
    },
  });
  // The id in the options too, as queue.add puts it: BullMQ checks its rules (no ':', not all
  // digits) there, and the dashboard shows it.
  const job = new Job(queue, name, data, { ...options, jobId }, jobId);
  await job.addJob(transaction as unknown as Parameters<Job['addJob']>[0]);
}
