// Submit → email accepted by the SMTP sink, at a steady 10 requests a second: what a requester
// waits for. ecat (`submitRequest`, then its worker renders, sends and records) against a raw
// `queue.add` of the same payload and a raw BullMQ Worker sending one pre-rendered message through
// a pooled nodemailer transport, with the same pool size and no mail limiter on either side.
import { Worker } from 'bullmq';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { loadConfig } from '../src/wiring/config.ts';
import type { OutgoingEmail } from '../src/domain/email/message.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { createQueue, QUEUE_NAME } from '../src/adapters/queues/queues.ts';
import { connectCommandRedis, createWorkerRedis } from '../src/adapters/redis/connection.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { openRuntime, startWorker } from '../src/wiring/runtime.ts';
import {
  benchPrefix,
  dropPrefix,
  quantile,
  REDIS_URL,
  smtpCounter,
  type Figure,
  type SmtpCounter,
} from './lib.ts';
import { body, RAW_JOB_OPTIONS, rawJobData } from './payload.ts';
import { renderConfigurationEmail } from '../src/domain/email/configuration-email.ts';
import { SEND_JOB } from '../src/ports/jobs.ts';

const PER_SECOND = 10;
const N = 300; // 30 s at 10 a second
const WARM_UP = 20; // 2 s on each side first: connections, scripts, JIT
/** The worker's concurrency and the SMTP pool on both sides (ecat's default concurrency). */
const POOL = 4;
/** How long the last message may take to arrive before the step gives up. */
const DRAIN_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Submits `n` requests on a fixed schedule (`perSecond`, open loop: a slow submission does not
 * delay the next), then waits until the sink has each one's email. Gives each request's time from
 * the start of its submission to its email's arrival, in ms.
 */
async function pacedLatencies(
  sink: SmtpCounter,
  n: number,
  submit: (i: number) => Promise<string>,
): Promise<number[]> {
  const started = new Map<string, number>();
  const submissions: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1) {
    const due = t0 + (i * 1000) / PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const at = performance.now();
    submissions.push(submit(i).then((id) => void started.set(id, at)));
  }
  await Promise.all(submissions);
  const deadline = performance.now() + DRAIN_MS;
  const missing = () => [...started.keys()].filter((id) => sink.arrivalOf(id) === undefined);
  while (missing().length > 0) {
    if (performance.now() > deadline) {
      throw new Error(`${missing().length} of ${n} emails not at the sink after ${DRAIN_MS} ms`);
    }
    await sleep(5);
  }
  return [...started].map(([id, at]) => (sink.arrivalOf(id) ?? Number.NaN) - at);
}

/** ecat's side; also gives one email as ecat renders it, for the baseline to send. */
async function ecatSide(sink: SmtpCounter) {
  const prefix = benchPrefix('e2e');
  const runtime = await openRuntime(
    loadConfig({
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      SMTP_URL: sink.url,
      WORKER_CONCURRENCY: String(POOL),
      // No mail rate limit, and as many connections as the baseline's pool (issue 13, item 6).
      MAIL_RATE_LIMIT: '0',
      MAIL_MAX_CONNECTIONS: String(POOL),
    }),
  );
  const deps = runtime.intakeDeps('bench');
  const running = startWorker(runtime, pino({ level: 'silent' }));
  let next = 0;
  let lastId = '';
  const submit = async () => {
    const result = await submitRequest(body((next += 1)), deps);
    if (result.outcome !== 'accepted') throw new Error(`intake: ${result.outcome}`);
    lastId = result.id;
    return result.id;
  };
  await pacedLatencies(sink, WARM_UP, submit);
  const latencies = await pacedLatencies(sink, N, submit);
  const record = (await runtime.store.get(lastId)) as RequestRecord;
  const email = renderConfigurationEmail(
    { id: record.id, messageId: record.messageId, assessed: record, today: '2026-12-01' },
    runtime.config.mail,
    runtime.foundation.renderer,
  );
  await running.stop(5000);
  await runtime.close();
  await dropPrefix(prefix);
  return { latencies, email };
}

/** The baseline: raw `queue.add`, a raw Worker, one pre-rendered message through a raw pool. */
async function rawSide(sink: SmtpCounter, email: OutgoingEmail) {
  const prefix = benchPrefix('e2e-raw');
  const redis = await connectCommandRedis(REDIS_URL);
  const queue = createQueue(redis, prefix);
  const transport = nodemailer.createTransport({
    url: sink.url,
    pool: true,
    maxConnections: POOL,
    maxRequeues: 0,
  } as never);
  const connection = createWorkerRedis(REDIS_URL);
  const worker = new Worker<{ requestId: string }>(
    QUEUE_NAME,
    async (job) => {
      const { requestId } = job.data;
      await transport.sendMail({
        ...email,
        messageId: `<${requestId}@bench.invalid>`,
        headers: { ...email.headers, 'X-Ecat-Request-Id': requestId },
      });
    },
    { connection, prefix, concurrency: POOL },
  );
  worker.on('error', (error) => process.stderr.write(`raw worker: ${error.message}\n`));
  let next = 0;
  const submit = async () => {
    next += 1;
    const id = `req-raw-${next}`;
    await queue.add(SEND_JOB, { ...rawJobData(next), requestId: id }, RAW_JOB_OPTIONS);
    return id;
  };
  await pacedLatencies(sink, WARM_UP, submit);
  const latencies = await pacedLatencies(sink, N, submit);
  await worker.close();
  connection.disconnect();
  transport.close();
  await queue.close();
  redis.disconnect();
  await dropPrefix(prefix);
  return latencies;
}

export async function endToEnd(): Promise<Figure[]> {
  const sink = await smtpCounter();
  const ecat = await ecatSide(sink);
  const raw = await rawSide(sink, ecat.email);
  await sink.close();
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const figures: Figure[] = [];
  for (const [label, q] of [
    ['p99', 0.99],
    ['p50', 0.5],
  ] as const) {
    const ours = quantile(ecat.latencies, q);
    const theirs = quantile(raw, q);
    const ratio = ours / theirs;
    figures.push({
      figure: `submit → email at the SMTP sink, ${label}, ${N} at ${PER_SECOND}/s, pool ${POOL}`,
      ecat: `${ms(ours)} (\`submitRequest\` + worker)`,
      baseline: `${ms(theirs)} raw queue.add + Worker + pooled nodemailer`,
      ratio,
      target: '≤ 2×',
      met: ratio <= 2,
    });
  }
  return figures;
}
