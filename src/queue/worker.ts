// The BullMQ worker: takes send jobs off the queue and stops gracefully (finishing the job in
// hand) when asked.
import { Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from '../redis.ts';
import { QUEUE_NAME, SEND_JOB, type SendJobData } from './queue.ts';
import { sendRequestEmail, type SendDeps } from './send-email.ts';

export interface WorkerOptions {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lasts; a killed worker's job is taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often a job may be found stalled (its worker gone) before it fails; BullMQ's default is 1. */
  maxStalledCount?: number;
}

/**
 * A job that stalled more often than allowed is failed by BullMQ's stalled checker without our
 * handler running, so the record would stay `queued` for ever: record the failure here.
 */
async function recordStalledFailure(worker: Worker<SendJobData>, jobId: string, deps: SendDeps) {
  const job = await Job.fromId<SendJobData>(worker, jobId);
  if (!job || job.name !== SEND_JOB || !(await job.isFailed())) return;
  const result = await deps.store.transition(job.data.requestId, 'failed', {
    event: 'failed',
    reason: `the worker sending it stopped more often than allowed: ${job.failedReason || 'stalled'}`,
    details: { attempt: job.attemptsMade, stalled: true },
  });
  if (result.ok) deps.log.error({ jobId, requestId: job.data.requestId }, 'send job stalled out');
}

/** Handlers for the queue's other jobs (chasers, sweeps), by job name. */
export type OtherJobHandlers = Record<string, (job: Job) => Promise<unknown>>;

export function createSendWorker(
  connection: Redis,
  deps: SendDeps,
  options: WorkerOptions,
  otherJobs: OtherJobHandlers = {},
): Worker<SendJobData> {
  const worker = new Worker<SendJobData>(
    QUEUE_NAME,
    async (job) => {
      if (job.name === SEND_JOB) return sendRequestEmail(job, deps);
      const handler = otherJobs[job.name];
      if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
      return handler(job);
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      // A job whose worker died is re-run, however often that happens: a send is safe to repeat
      // (same Message-ID), and BullMQ's default of one would fail the job behind the record's back,
      // leaving the request `queued` with no job.
      maxStalledCount: 20,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
      ...(options.maxStalledCount === undefined
        ? {}
        : { maxStalledCount: options.maxStalledCount }),
    },
  );
  worker.on('error', (error) => deps.log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) =>
    deps.log.warn(
      { jobId: job?.id, requestId: job?.data.requestId, attempt: job?.attemptsMade },
      `${job?.name ?? 'job'} failed: ${error.message}`,
    ),
  );
  worker.on('completed', (job, result) =>
    deps.log.info(
      { jobId: job.id, requestId: job.data.requestId },
      `${job.name} done: ${String(result)}`,
    ),
  );
  worker.on('stalled', (jobId) => {
    deps.log.warn({ jobId }, 'job stalled: its worker went away; it runs again or fails');
    recordStalledFailure(worker, jobId, deps).catch((error: unknown) =>
      deps.log.error({ err: error, jobId }, 'could not record a stalled job'),
    );
  });
  return worker;
}

/** `worker.close()` waits for the job in hand, but can hang while Redis is away (LIBRARIES.md). */
export async function closeWithin(worker: Worker, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const closed = worker.close().then(
    () => true as const,
    () => false as const,
  );
  const result = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  return result;
}
