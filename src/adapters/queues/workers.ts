// The BullMQ workers: one takes mail jobs (send, chaser, notice) off the mail queue, one the
// sweeps off the follow-up queue; both stop gracefully (finishing the job in hand) when asked.
// The worker edge: a job's error becomes its BullMQ outcome here, once, by whether it is retryable.
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { EcatError } from '../../domain/errors.ts';
import { ACTORS } from '../../domain/people/person.ts';
import { MailDeferredError } from '../../ports/mailer.ts';
import { DependencyUnavailableError } from '../redis/connection.ts';
import type { MailPause } from './mail-pause.ts';
import type { Redis } from '../redis/connection.ts';
import { FOLLOW_UP_QUEUE_NAME, QUEUE_NAME } from './queues.ts';
import { sendRequestEmail, type SendDeps } from '../../use-cases/send-request-email.ts';
import { SEND_JOB, type SendJobData } from '../../ports/jobs.ts';
import { inJobSpan } from '../tracing.ts';
import { errorKind, throttledLog } from '../log-throttle.ts';

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
 * A send job can end failed without our handler recording it: BullMQ fails a job that stalled
 * more often than allowed without running it, and recording can itself fail on the last attempt.
 * Whatever the cause, a request whose job has failed for good must not stay `queued`.
 */
async function recordFinalFailure(job: Job<SendJobData>, error: Error, deps: SendDeps) {
  if (job.name !== SEND_JOB || !(await job.isFailed())) return;
  const stalled = /stalled/.test(error.message);
  const result = await deps.store.transition(job.data.requestId, 'failed', {
    event: 'failed',
    actor: ACTORS.worker,
    reason: stalled
      ? `not sent: the worker sending it stopped more often than allowed (${error.message})`
      : `not sent: ${error.message}`,
    details: { attempt: job.attemptsMade, ...(stalled ? { stalled: true } : {}) },
  });
  if (result.ok) deps.log.error({ requestId: job.data.requestId }, 'send job failed for good');
}

/**
 * What BullMQ is told when a job throws: an error that says trying again cannot help ends the job
 * (UnrecoverableError); anything else is retried with backoff until attempts run out. BullMQ needs
 * a real Error either way (LIBRARIES.md).
 */
export function jobFailure(error: unknown): Error {
  if (error instanceof EcatError && !error.retryable) return new UnrecoverableError(error.message);
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs a job's handler, its failure told to BullMQ by jobFailure. */
export async function outcomeOf<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw jobFailure(error);
  }
}

/** How soon a mail job runs again after Redis was away a moment (a failover, a restart). */
const REDIS_BLIP_RETRY_MS = 2000;
const MAX_QUICK_RETRIES = 5;

/**
 * A mail job's handler, with the mail server's "not now" (MailDeferredError) told to BullMQ as a
 * delay that spends no attempt; the daily quota pauses every email for as long. Redis away for a
 * moment is tried again in seconds, not after the mail server's backoff (30 s, then longer): a
 * failover should not hold the emails queued behind it. Only so often: a Redis that keeps failing
 * falls back to the backoff, which spends the attempts.
 */
async function mailOutcomeOf<T>(
  job: Job,
  token: string | undefined,
  pause: MailPause,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (token === undefined) throw jobFailure(error);
    if (error instanceof MailDeferredError) {
      if (error.scope === 'quota') await pause.pauseFor(error.waitMs);
      await job.moveToDelayed(Date.now() + error.waitMs, token);
      throw new DelayedError(error.message);
    }
    const quickRetries = job.attemptsStarted - job.attemptsMade;
    if (error instanceof DependencyUnavailableError && quickRetries <= MAX_QUICK_RETRIES) {
      // Redis may still be away: then BullMQ's own retry takes over.
      const delayed = await job.moveToDelayed(Date.now() + REDIS_BLIP_RETRY_MS, token).then(
        () => true,
        () => false,
      );
      if (delayed) throw new DelayedError(error.message);
    }
    throw jobFailure(error);
  }
}

/** Handlers for a queue's jobs (besides the send job on the mail queue), by job name. */
export type OtherJobHandlers = Record<string, (job: Job) => Promise<unknown>>;

export function createSendWorker(
  connection: Redis,
  deps: SendDeps,
  options: WorkerOptions,
  mail: { pause: MailPause; otherJobs: OtherJobHandlers },
): Worker<SendJobData> {
  const worker = new Worker<SendJobData>(
    QUEUE_NAME,
    async (job, token) => {
      if (job.name === SEND_JOB) {
        // Traced (when tracing is on) as part of the intake that queued it.
        const { requestId, traceparent } = job.data;
        return inJobSpan(`${SEND_JOB} send`, traceparent, { 'ecat.request_id': requestId }, () =>
          mailOutcomeOf(job, token, mail.pause, () => sendRequestEmail(job, deps)),
        );
      }
      const handler = mail.otherJobs[job.name];
      if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
      return mailOutcomeOf(job, token, mail.pause, () => handler(job));
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
  const trouble = throttledLog(deps.log, 'error');
  worker.on('error', (error) => {
    trouble(errorKind(error), { err: error }, `worker error: ${error.message}`);
  });
  worker.on('failed', (job, error) => {
    deps.log.warn(
      { jobId: job?.id, requestId: job?.data.requestId, attempt: job?.attemptsMade },
      `${job?.name ?? 'job'} failed: ${error.message}`,
    );
    if (!job) return;
    recordFinalFailure(job, error, deps).catch((problem: unknown) => {
      deps.log.error({ err: problem, jobId: job.id }, 'could not record a failed send job');
    });
  });
  worker.on('completed', (job, result) => {
    deps.log.info(
      { jobId: job.id, requestId: job.data.requestId },
      `${job.name} done: ${String(result)}`,
    );
  });
  worker.on('stalled', (jobId) => {
    deps.log.warn({ jobId }, 'job stalled: its worker went away; it runs again or fails');
  });
  return worker;
}

/**
 * The follow-up queue's worker: one sweep at a time (each sweep also takes a lock of its own, so
 * several worker processes never sweep at once).
 */
export function createFollowUpWorker(
  connection: Redis,
  handlers: OtherJobHandlers,
  options: Pick<WorkerOptions, 'prefix'>,
  log: Logger,
): Worker {
  const worker = new Worker(
    FOLLOW_UP_QUEUE_NAME,
    async (job) => {
      const handler = handlers[job.name];
      if (!handler) throw new UnrecoverableError(`unknown job ${job.name}`);
      // A trace of its own (when tracing is on): the sweep's Redis reads and its calls to the
      // BaRS proxy are its children.
      return inJobSpan(`${job.name} sweep`, undefined, {}, () => outcomeOf(() => handler(job)));
    },
    { connection, prefix: options.prefix, concurrency: 1 },
  );
  const trouble = throttledLog(log, 'error');
  worker.on('error', (error) => {
    trouble(errorKind(error), { err: error }, `follow-up worker error: ${error.message}`);
  });
  worker.on('failed', (job, error) => {
    log.warn({ jobId: job?.id }, `${job?.name ?? 'job'} failed: ${error.message}`);
  });
  return worker;
}

/** `worker.close()` waits for the job in hand, but can hang while Redis is away (LIBRARIES.md). */
export async function closeWithin(worker: Worker, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  const closed = worker.close().then(
    () => true as const,
    () => false as const,
  );
  const result = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  return result;
}
