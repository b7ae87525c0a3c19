// What a worker process did, for its own /metrics: the jobs it finished, by queue and outcome,
// and how long each took. Counted in the process (they are its own work, unlike the queue's
// state, which the web server reads from Redis for every process at once).
import type { Job, Worker } from 'bullmq';
import { Counter, Histogram, Registry } from 'prom-client';

const OUTCOMES = ['completed', 'retried', 'failed'] as const;
type Outcome = (typeof OUTCOMES)[number];

export interface WorkerMetrics {
  registry: Registry;
  /** Counts the jobs `worker` finishes under `queue` (the label: mail, follow-up, import). */
  watch(worker: Worker, queue: string): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  const jobs = new Counter({
    name: 'ecat_worker_jobs_total',
    help: 'Job attempts this worker ended, by queue and outcome: completed, retried (failed, to run again) or failed (for good)',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'ecat_worker_job_duration_seconds',
    help: 'Time from a job attempt starting to its end, by queue',
    labelNames: ['queue'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const ended = (queue: string, outcome: Outcome, job: Job | undefined) => {
    jobs.inc({ queue, outcome });
    if (job?.processedOn != null && job.finishedOn != null) {
      duration.observe({ queue }, (job.finishedOn - job.processedOn) / 1000);
    }
  };
  return {
    registry,
    watch(worker, queue) {
      // Every series exists from the start, so the first failure is an increase, not a new series.
      for (const outcome of OUTCOMES) jobs.inc({ queue, outcome }, 0);
      worker.on('completed', (job) => {
        ended(queue, 'completed', job);
      });
      worker.on('failed', (job) => {
        // BullMQ sets finishedOn only when a job fails for good; a retry leaves it unset.
        ended(queue, job?.finishedOn != null ? 'failed' : 'retried', job);
      });
    },
  };
}
