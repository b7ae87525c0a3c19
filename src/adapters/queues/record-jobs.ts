// The jobs that land with a new record, inside the MULTI that writes it: the send job, and the
// chaser when one is planned. The request store (adapters/redis/requests/) is handed this writer.
import type { Queue } from 'bullmq';
import type { RecordJobsWriter } from '../redis/requests/accept.ts';
import { addChaserToTransaction } from './follow-up-jobs.ts';
import { addSendJobToTransaction, type RetryPolicy } from './queues.ts';

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
      },
      retry,
    );
    if (chaser) await addChaserToTransaction(mailQueue, multi, record, chaser, now());
  };
}
