// The import queue (`csv-imports`): one job per file uploaded on the web page. A queue of its own:
// an import may take minutes (DoS Search is asked DIRECTORY_RATE_LIMIT times a second), which on
// the follow-up queue, run one job at a time, would hold up the overdue sweep and the mail queue's
// resume job; and the mail queue's limits are for emails.
import { UnrecoverableError, Worker, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { IMPORT_CSV_JOB, type ImportJobData } from '../../ports/imports.ts';
import type { RunningJob } from '../../ports/jobs.ts';
import { onRedis, type Redis } from '../redis/connection.ts';
import { outcomeOf } from './workers.ts';
import { errorKind, throttledLog } from '../log-throttle.ts';

export const IMPORT_QUEUE_NAME = 'csv-imports';

export const importJobId = (importId: string) => `import-${importId}`;

const WEEK_SECONDS = 7 * 24 * 3600;

/**
 * Queues the import of an upload. One attempt: an import that broke off has stored some of its
 * rows, and a second run would refuse each of them as a duplicate of itself.
 */
export async function queueImport(queue: Queue, redis: Redis, importId: string): Promise<void> {
  const data: ImportJobData = { importId };
  await onRedis(redis, () =>
    queue.add(IMPORT_CSV_JOB, data, {
      jobId: importJobId(importId),
      attempts: 1,
      removeOnComplete: { age: WEEK_SECONDS, count: 1000 },
      removeOnFail: { age: WEEK_SECONDS, count: 1000 },
    }),
  );
}

export interface ImportWorkerHandlers {
  run(job: RunningJob<ImportJobData>): Promise<string>;
  /** The job failed for good (it threw, or its worker died): tell the import's page. */
  failed(importId: string, reason: string): Promise<void>;
}

/**
 * One import at a time per worker: the directory's pace is shared by every process, so imports side
 * by side would only split it, each holding its file in memory meanwhile.
 */
export function createImportWorker(
  connection: Redis,
  handlers: ImportWorkerHandlers,
  options: { prefix: string },
  log: Logger,
): Worker<ImportJobData> {
  const worker = new Worker<ImportJobData>(
    IMPORT_QUEUE_NAME,
    async (job) => {
      if (job.name !== IMPORT_CSV_JOB) throw new UnrecoverableError(`unknown job ${job.name}`);
      return outcomeOf(() => handlers.run(job));
    },
    // A job whose worker died fails rather than running again (see queueImport).
    { connection, prefix: options.prefix, concurrency: 1, maxStalledCount: 0 },
  );
  const trouble = throttledLog(log, 'error');
  worker.on('error', (error) => {
    trouble(errorKind(error), { err: error }, `import worker error: ${error.message}`);
  });
  worker.on('failed', (job, error) => {
    log.warn({ jobId: job?.id }, `${job?.name ?? 'job'} failed: ${error.message}`);
    if (!job) return;
    // BullMQ's own words for a job whose worker died, said for the person reading the page.
    const reason = /stalled/.test(error.message)
      ? `the worker importing it stopped (${error.message})`
      : error.message;
    handlers.failed(job.data.importId, reason).catch((problem: unknown) => {
      log.error({ err: problem, jobId: job.id }, 'could not record a failed import');
    });
  });
  return worker;
}
