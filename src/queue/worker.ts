// The BullMQ worker: takes send jobs off the queue and stops gracefully (finishing the job in
// hand) when asked.
import { Worker } from 'bullmq';
import type { Redis } from '../redis.ts';
import { QUEUE_NAME, SEND_JOB, type SendJobData } from './queue.ts';
import { sendRequestEmail, type SendDeps } from './send-email.ts';

export interface WorkerOptions {
  prefix: string;
  concurrency: number;
  /** How long a job's lock lasts; a killed worker's job is taken over after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

export function createSendWorker(
  connection: Redis,
  deps: SendDeps,
  options: WorkerOptions,
): Worker {
  const worker = new Worker<SendJobData>(
    QUEUE_NAME,
    async (job) => {
      if (job.name !== SEND_JOB) throw new Error(`unknown job ${job.name}`);
      return sendRequestEmail(job, deps);
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    },
  );
  worker.on('error', (error) => deps.log.error({ err: error }, 'worker error'));
  worker.on('failed', (job, error) =>
    deps.log.warn(
      { jobId: job?.id, requestId: job?.data.requestId, attempt: job?.attemptsMade },
      `send failed: ${error.message}`,
    ),
  );
  worker.on('completed', (job, result) =>
    deps.log.info({ jobId: job.id, requestId: job.data.requestId }, `send done: ${String(result)}`),
  );
  return worker;
}

/** `worker.close()` waits for the job in hand, but can hang while Redis is away (LIBRARIES.md). */
export async function closeWithin(worker: Worker, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const closed = worker.close().then(() => true as const);
  const result = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  return result;
}
