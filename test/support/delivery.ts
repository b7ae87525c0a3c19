// Harness for tests that send: one loopback SMTP sink per file, runtimes on fresh prefixes
// (deleted after the file), workers that are always stopped after each test, and waits that poll
// the record instead of sleeping. Call useDelivery() at the top of a test file.
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { submitRequest } from '../../src/use-cases/submit.ts';
import type { RetryPolicy } from '../../src/adapters/queues/queues.ts';
import type { WorkerOptions } from '../../src/adapters/queues/workers.ts';
import type { RequestRecord, RequestStatus } from '../../src/domain/request/record.ts';
import {
  openRuntime,
  startWorker,
  type RunningWorker,
  type Runtime,
} from '../../src/wiring/runtime.ts';
import { deletePrefix, requestBody, testConfig, uniquePrefix } from './ecat.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

export const silentLog = pino({ level: 'silent' });

/** Retries in tens of milliseconds, so a 451-twice test takes well under a second. */
export const FAST_RETRY: RetryPolicy = { attempts: 5, backoffMs: 50 };

import { until } from './poll.ts';

export { until };

export interface RuntimeOptions {
  /** Extra environment variables (SMTP_URL already points at the sink). */
  env?: Record<string, string>;
  retry?: RetryPolicy;
  now?: () => Date;
}

export interface Delivery {
  /** Available once the file's beforeAll has run; reset to "accept everything" after each test. */
  readonly sink: SmtpSink;
  runtime(name: string, options?: RuntimeOptions): Promise<Runtime>;
  /** A worker on the runtime's queue, stopped after the test. */
  worker(runtime: Runtime, options?: Partial<WorkerOptions>): RunningWorker;
  /** Submits through intake and returns the id; throws if the request is not accepted. */
  accept(runtime: Runtime, body?: Record<string, unknown>): Promise<string>;
  record(runtime: Runtime, id: string): Promise<RequestRecord>;
  /** Waits until the request has the status, and returns its record. */
  waitForStatus(
    runtime: Runtime,
    id: string,
    status: RequestStatus,
    timeoutMs?: number,
  ): Promise<RequestRecord>;
  /** `X-Ecat-Request-Id` of every email the sink accepted, in order. */
  sentRequestIds(): string[];
}

export function useDelivery(): Delivery {
  let sink: SmtpSink | undefined;
  const prefixes: string[] = [];
  const runtimes: Runtime[] = [];
  const workers: RunningWorker[] = [];

  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((running) => running.stop(5000)));
    if (!sink) return;
    sink.answer = () => ({ kind: 'accept' });
    sink.recipient = () => ({ kind: 'accept' });
    sink.messages.length = 0;
    sink.attempts = 0;
  });
  afterAll(async () => {
    await Promise.all(runtimes.map((runtime) => runtime.close()));
    await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
    await sink?.close();
  });

  const delivery: Delivery = {
    get sink() {
      if (!sink) throw new Error('the SMTP sink starts in beforeAll: use it inside a test');
      return sink;
    },
    async runtime(name, options = {}) {
      const prefix = uniquePrefix(name);
      prefixes.push(prefix);
      const config = testConfig(prefix, { SMTP_URL: delivery.sink.url, ...options.env });
      const runtime = await openRuntime(config, {
        retry: options.retry ?? FAST_RETRY,
        ...(options.now ? { now: options.now } : {}),
      });
      runtimes.push(runtime);
      return runtime;
    },
    worker(runtime, options = {}) {
      const running = startWorker(runtime, silentLog, options);
      workers.push(running);
      return running;
    },
    async accept(runtime, body = requestBody()) {
      const result = await submitRequest(body, runtime.intakeDeps('test'));
      if (result.outcome !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(result)}`);
      return result.id;
    },
    async record(runtime, id) {
      const record = await runtime.store.get(id);
      if (!record) throw new Error(`no record ${id}`);
      return record;
    },
    async waitForStatus(runtime, id, status, timeoutMs = 15_000) {
      let last: RequestRecord | undefined;
      await until(
        async () => (last = await runtime.store.get(id))?.status === status,
        timeoutMs,
        () => `${id} to be ${status} (it is ${last?.status ?? 'missing'})`,
      );
      return last!;
    },
    sentRequestIds() {
      return delivery.sink.messages.map((mail) =>
        String(mail.headers.get('x-ecat-request-id') as string | undefined),
      );
    },
  };
  return delivery;
}
