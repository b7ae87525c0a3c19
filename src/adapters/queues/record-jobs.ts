// The jobs that land with a new record, inside the MULTI that writes it: the send job, and the
// chaser when one is planned. The request store (adapters/redis/requests/) is handed this writer.
import type { Queue } from 'bullmq';
import type { RecordJobsWriter } from '../redis/requests/accept.ts';
import { addChaserToTransaction } from './follow-up-jobs.ts';
import { addSendJobToTransaction, type RetryPolicy } from './queues.ts';
import { currentTraceparent } from '../tracing.ts';

/** The intake's trace, so the worker's send span joins it (nothing when tracing is off). */
function traceLink(): { traceparent?: string } {
  const traceparent = currentTraceparent();
  return traceparent ? { traceparent } : {};
}

export function recordJobsWriter(
  mailQueue: Queue,
  retry: RetryPolicy,
  now: () => Date,
): RecordJobsWriter {
  return async (multi, { record, chaser }) => {
    const { request, urgency } = record;
    await addSendJobToTransaction(
      mailQueue,
      multi,
      {
        requestId: record.id,
        dosServiceId: request.dosServiceId,
        environment: request.environment,
        urgency: urgency.level,
        ...traceLink(),
      },
      retry,
    );
    if (chaser) await addChaserToTransaction(mailQueue, multi, record, chaser, now());
  };
}
