// Prometheus metrics for the people watching outstanding configurations. Gauges are read from
// Redis at scrape time, so they agree across processes (the worker counts what it sends there).
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type Metric,
} from 'prom-client';
import { onRedis, type Redis } from '../redis/connection.ts';
import { oldestWaitingSeconds } from '../queues/oldest-waiting.ts';
import { ENVIRONMENTS } from '../../domain/request/schema.ts';
import { URGENCY_LEVELS } from '../../domain/urgency.ts';
import type { RequestStore } from '../../ports/request-store.ts';

export interface Metrics {
  registry: Registry;
  observeIntake: (seconds: number) => void;
}

let processRegistry: Registry | undefined;

/**
 * The process's own metrics (CPU, memory, event loop lag, GC), under the names Prometheus
 * dashboards know: collected once per process, however many servers it builds (each watches the
 * event loop and the GC for as long as the process runs).
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The event loop's statistics (mean, stddev…) are NaN until the loop has been sampled since the
 * last scrape (a scrape right after start, or right after another): such a value is left out
 * rather than printed as NaN.
 */
function numbersOnly(metric: Metric): Metric {
  if (!(metric instanceof Gauge)) return metric;
  const gauge = Object.create(metric) as Gauge;
  gauge.get = async () => {
    const data = await metric.get();
    return { ...data, values: data.values.filter(({ value }) => !Number.isNaN(value)) };
  };
  return gauge;
}

/** Registers every metric of `source` in `target` too (each is still counted once). */
export function addMetrics(
  target: Registry,
  source: Registry,
  wrap: (metric: Metric) => Metric = (metric) => metric,
): void {
  for (const { name } of source.getMetricsAsArray()) {
    const metric = source.getSingleMetric(name);
    if (metric) target.registerMetric(wrap(metric));
  }
}

/** A registry holding the process's own metrics, for ecat's to be added to. */
export function registryWithProcessMetrics(): Registry {
  const registry = new Registry();
  addMetrics(registry, processMetrics(), numbersOnly);
  return registry;
}

export interface MetricsSources {
  store: RequestStore;
  /** The mail queue, whose jobs are counted by state. */
  queue: Queue;
  /** Every queue whose oldest waiting job is watched, by the name the metric's label gives it. */
  queues: Record<string, Queue>;
  redis: Redis;
}

export function createMetrics(
  { store, queue, queues, redis }: MetricsSources,
  today: () => string,
): Metrics {
  const registry = registryWithProcessMetrics();
  new Gauge({
    name: 'ecat_outstanding_requests',
    help: 'Requests queued, sent or failed and not yet configured, by environment and urgency',
    labelNames: ['environment', 'urgency'],
    registers: [registry],
    async collect() {
      const groups = ENVIRONMENTS.flatMap((environment) =>
        URGENCY_LEVELS.map((urgency) => ({ environment, urgency })),
      );
      const counts = await Promise.all(
        groups.map((group) => store.countGroup(group.environment, group.urgency)),
      );
      groups.forEach((group, i) => {
        this.set(group, counts[i] ?? 0);
      });
    },
  });
  new Gauge({
    name: 'ecat_overdue_requests',
    help: 'Outstanding requests whose earliest test date has come, submitted before today',
    registers: [registry],
    async collect() {
      // CONTRACT.md's overdue, from two index reads: none is counted on the day it arrives.
      this.set((await store.overdueIds(today())).length);
    },
  });
  // A counter kept in Redis by the worker (another process, perhaps), copied here at each scrape.
  new Counter({
    name: 'ecat_emails_total',
    help: 'Configuration emails accepted by the mail server (sent) or given up on (failed)',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const counters = await store.counters();
      this.reset();
      this.inc({ outcome: 'sent' }, counters.sent);
      this.inc({ outcome: 'failed' }, counters.failed);
    },
  });
  new Gauge({
    name: 'ecat_queue_jobs',
    help: 'Jobs in the BullMQ queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      // The queue shares the command connection: Redis away is a 503, as for the store's reads.
      const counts = await onRedis(redis, () =>
        queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      );
      this.set({ state: 'waiting' }, (counts.waiting ?? 0) + (counts.prioritized ?? 0));
      for (const state of ['active', 'delayed', 'failed'] as const) {
        this.set({ state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'ecat_queue_oldest_waiting_seconds',
    help: 'Seconds the oldest job now due on a queue has waited for a worker (0 when none waits)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const named = Object.entries(queues);
      const ages = await onRedis(redis, () =>
        Promise.all(named.map(([, watched]) => oldestWaitingSeconds(redis, watched))),
      );
      named.forEach(([name], i) => {
        this.set({ queue: name }, ages[i] ?? 0);
      });
    },
  });
  const intake = new Histogram({
    name: 'ecat_intake_duration_seconds',
    help: 'Time to assess, check, record and enqueue one request',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observeIntake: (seconds) => {
      intake.observe(seconds);
    },
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function metricsRoute(
  app: FastifyInstance,
  metrics: Pick<Metrics, 'registry'>,
): Promise<void> {
  // Scraped every few seconds: only warnings are logged, as for the health probes.
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
}
