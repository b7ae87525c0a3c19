// `npm run bench`: ecat's throughput and memory as ratios against raw baselines measured in the
// same run on the same machine (absolute numbers are noisy here; ratios are what we compare).
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import type { CliIo } from '../src/cli/io.ts';
import { runCli } from '../src/cli/main.ts';
import { loadConfig } from '../src/config.ts';
import type { OutgoingEmail } from '../src/email/message.ts';
import { renderConfigurationEmail } from '../src/email/render.ts';
import { submitRequest } from '../src/intake.ts';
import { createQueue, DEFAULT_RETRY, SEND_JOB, sendJobOptions } from '../src/queue/queue.ts';
import { connectCommandRedis } from '../src/redis.ts';
import type { RequestRecord } from '../src/requests/record.ts';
import { openRuntime, startWorker } from '../src/runtime.ts';
import { buildServer } from '../src/web/server.ts';
import {
  dosState,
  schedulingEndpoint,
  startDosSearchServer,
} from '../test/support/dos-directory.ts';
import {
  benchPrefix,
  dropPrefix,
  printTable,
  REDIS_URL,
  smtpCounter,
  median,
  steadyRate,
  timed,
  type SmtpCounter,
  type Figure,
} from './lib.ts';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });
const figures: Figure[] = [];
const env = (prefix: string, extra: Record<string, string> = {}) => ({
  REDIS_URL,
  QUEUE_PREFIX: prefix,
  LOG_LEVEL: 'silent',
  ...extra,
});
const body = (i: number) => ({
  dosServiceId: String(1_000_000_000 + i),
  environment: 'INT',
  endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
  odsCode: 'Y02494',
  requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' },
});
/** What the raw baselines add: the send job's payload and options, as intake queues them. */
const RAW_JOB_OPTIONS = sendJobOptions('routine', DEFAULT_RETRY);
const rawJobData = (i: number, request: object = body(i)) => ({
  requestId: `req-${i}`,
  ...request,
});
const rate = (n: number, seconds: number) => `${Math.round(n / seconds)}/s`;

/** Runs `work(0..n-1)` with `inFlight` calls at a time. */
async function inFlightAtOnce(n: number, inFlight: number, work: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

async function intakeWith(inFlight: number): Promise<void> {
  const N = 2000;
  const WARM_UP = 500;
  const prefix = benchPrefix('intake');
  const runtime = await openRuntime(loadConfig(env(prefix)));
  const deps = runtime.intakeDeps('bench');
  const submit = async (i: number) => {
    const result = await submitRequest(body(i), deps);
    if (result.outcome !== 'accepted') throw new Error(result.outcome);
  };
  const raw = createQueue(await connectCommandRedis(REDIS_URL), `${prefix}-raw`);
  const add = (i: number) => raw.add(SEND_JOB, rawJobData(i), RAW_JOB_OPTIONS);
  // Both sides warmed up first (JIT, script loading): the figure is steady throughput.
  await inFlightAtOnce(WARM_UP, inFlight, (i) => submit(N + i));
  await inFlightAtOnce(WARM_UP, inFlight, (i) => add(N + i));
  const ecat = await timed(() => inFlightAtOnce(N, inFlight, submit));
  const baseline = await timed(() => inFlightAtOnce(N, inFlight, add));
  const ratio = baseline / ecat;
  figures.push({
    figure: `intake (validate + CareConnect snapshot + record + enqueue), ${N}, ${inFlight === 1 ? 'one at a time' : `${inFlight} at a time`}`,
    ecat: rate(N, ecat),
    baseline: `${rate(N, baseline)} raw queue.add`,
    ratio,
    target: '≥ 0.5×',
    met: ratio >= 0.5,
  });
  await raw.close();
  await runtime.close();
  await dropPrefix(prefix);
  await dropPrefix(`${prefix}-raw`);
}

async function intake(): Promise<void> {
  // One at a time is the latency of a single submission; sixteen at once is a busy service.
  await intakeWith(1);
  await intakeWith(16);
}

/** One round of ecat's worker over `n` queued requests; also gives their emails for the baseline. */
async function workerRound(sink: SmtpCounter, n: number) {
  const prefix = benchPrefix('worker');
  const runtime = await openRuntime(
    loadConfig(env(prefix, { SMTP_URL: sink.url, WORKER_CONCURRENCY: '8' })),
  );
  const deps = runtime.intakeDeps('bench');
  const emails: OutgoingEmail[] = [];
  for (let i = 0; i < n; i += 1) {
    const result = await submitRequest(body(i), deps);
    if (result.outcome !== 'accepted') throw new Error(result.outcome);
    const record = (await runtime.store.get(result.id)) as RequestRecord;
    emails.push(
      renderConfigurationEmail(
        { id: record.id, messageId: record.messageId, assessed: record, today: '2026-11-24' },
        runtime.config.mail,
        runtime.foundation.renderer,
      ),
    );
  }
  const before = sink.count();
  const started = performance.now();
  const running = startWorker(runtime, silent);
  while (sink.count() < before + n) await new Promise((resolve) => setTimeout(resolve, 5));
  const startUpMs = sink.arrivals()[before]! - started;
  const rate = steadyRate(sink.arrivals(), before, n);
  await running.stop(5000);
  await runtime.close();
  await dropPrefix(prefix);
  return { rate, startUpMs, emails };
}

/** The same emails through a raw pooled nodemailer transport, eight at a time. */
async function rawMailRound(sink: SmtpCounter, emails: OutgoingEmail[]): Promise<number> {
  const transport = nodemailer.createTransport({
    url: sink.url,
    pool: true,
    maxConnections: 8,
  } as never);
  const before = sink.count();
  for (let i = 0; i < emails.length; i += 8) {
    await Promise.all(
      emails
        .slice(i, i + 8)
        .map((email) => transport.sendMail({ ...email, attachments: email.attachments })),
    );
  }
  transport.close();
  if (sink.count() - before !== emails.length) throw new Error('the raw baseline lost messages');
  return steadyRate(sink.arrivals(), before, emails.length);
}

async function worker(): Promise<void> {
  const N = 1000;
  const ROUNDS = 5;
  const sink = await smtpCounter();
  const ecat: number[] = [];
  const baseline: number[] = [];
  const startUps: number[] = [];
  // Alternating rounds, medians compared: one noisy second on a 2-core machine moves neither.
  for (let round = 0; round < ROUNDS; round += 1) {
    const ours = await workerRound(sink, N);
    ecat.push(ours.rate);
    startUps.push(ours.startUpMs);
    baseline.push(await rawMailRound(sink, ours.emails));
  }
  await sink.close();
  const ratio = median(ecat) / median(baseline);
  figures.push({
    figure: `worker: emails to a loopback SMTP sink, ${N}, concurrency 8, first email to last (median of ${ROUNDS})`,
    ecat: `${Math.round(median(ecat))}/s (first after ${Math.round(median(startUps))} ms)`,
    baseline: `${Math.round(median(baseline))}/s raw pooled nodemailer`,
    ratio,
    target: '≥ 0.7×',
    met: ratio >= 0.7,
  });
}

async function http(): Promise<void> {
  const prefix = benchPrefix('http');
  const runtime = await openRuntime(loadConfig(env(prefix)));
  // The POST rate limit (120 a minute per address) would answer most of the load with 429: the
  // figure is about intake over HTTP, so the limit is lifted for this run.
  const app = await buildServer(runtime, { rateLimits: { api: 1e9 }, logLevel: 'silent' });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  let i = 0;
  const load = (url: string) =>
    autocannon({
      url,
      duration: 5,
      connections: 10,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [
        { setupRequest: (request) => ({ ...request, body: JSON.stringify(body((i += 1))) }) },
      ],
    });
  const ecat = await load(`${address}/api/requests`);
  const bare = Fastify();
  bare.post('/echo', async (request) => request.body);
  // Not asked for, but it shows how much of the gap is the Redis write every intake must make.
  const raw = createQueue(await connectCommandRedis(REDIS_URL), `${prefix}-raw`);
  let n = 0;
  bare.post('/enqueue', async (request, reply) => {
    n += 1;
    await raw.add(SEND_JOB, rawJobData(n, request.body as object), RAW_JOB_OPTIONS);
    return reply.code(202).send({ id: `req-${n}` });
  });
  const bareAddress = await bare.listen({ port: 0, host: '127.0.0.1' });
  const baseline = await load(`${bareAddress}/echo`);
  const enqueue = await load(`${bareAddress}/enqueue`);
  const perSecond = (result: autocannon.Result) => Math.round(result.requests.average);
  const ratio = ecat.requests.average / baseline.requests.average;
  figures.push({
    figure: 'POST /api/requests (autocannon, 10 connections, 5 s)',
    ecat: `${perSecond(ecat)}/s (${ecat.non2xx} non-2xx)`,
    baseline: `${perSecond(baseline)}/s bare Fastify echo`,
    ratio,
    target: '≥ 0.4×',
    met: ratio >= 0.4,
  });
  const enqueueRatio = ecat.requests.average / enqueue.requests.average;
  figures.push({
    figure: '(extra) the same, against a bare route that only does a raw queue.add',
    ecat: `${perSecond(ecat)}/s`,
    baseline: `${perSecond(enqueue)}/s bare Fastify + queue.add`,
    ratio: enqueueRatio,
    target: '–',
    met: undefined,
    note: 'for reading the figure above',
  });
  await app.close();
  await bare.close();
  await raw.close();
  await dropPrefix(`${prefix}-raw`);
  await runtime.close();
  await dropPrefix(prefix);
}

/** The q-th quantile (0–1) of the samples, nearest rank. */
function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * The health check while test dates at the far end of the calendar arrive (issue: one such date
 * once hung the process): its p99 during bursts of 20 at once, against its p99 with nothing else
 * going on, and against bursts of 20 ordinary requests of the same size.
 */
async function healthUnderFarDates(): Promise<void> {
  const ROUNDS = 25;
  const BURST = 20;
  const FAR = ['9999-12-31', '9999-12-30', '2300-01-01'];
  const prefix = benchPrefix('health');
  // The server in its own process, as a platform's probe sees it: this one's client work would
  // otherwise sit on the same event loop as the requests it times.
  const server = spawn(process.execPath, ['--import', 'tsx', 'bench/http-server.ts'], {
    env: { ...process.env, ...env(prefix) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    server.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
  });
  const probe = async () => {
    const started = performance.now();
    const response = await fetch(`${address}/healthz`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  const post = async (request: object) => {
    const response = await fetch(`${address}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    await response.arrayBuffer();
    return response.status;
  };
  /** Health probes, one after another, for as long as `bursts` runs. */
  const probedDuring = async (bursts: () => Promise<number[]>) => {
    let running = true;
    const samples: number[] = [];
    const prober = (async () => {
      while (running) samples.push(await probe());
    })();
    const statuses = await bursts();
    running = false;
    await prober;
    return { samples, statuses };
  };
  const rounds = (request: (i: number) => object) => async () => {
    const statuses: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const burst = Array.from({ length: BURST }, (_, i) => post(request(round * BURST + i)));
      statuses.push(...(await Promise.all(burst)));
    }
    return statuses;
  };
  for (let i = 0; i < 200; i += 1) await probe(); // JIT and connection warm-up
  await post({ ...body(0), testDates: { from: FAR[0] } });
  const idle: number[] = [];
  for (let i = 0; i < 1000; i += 1) idle.push(await probe());
  const far = await probedDuring(
    rounds((i) => ({ ...body(i), testDates: { from: FAR[i % FAR.length] } })),
  );
  // The same bursts refused at the door (an unknown field: 400), where no date is looked at:
  // what is left of the figure above is the cost of 20 requests at once, whatever their dates.
  const atTheDoor = await probedDuring(rounds((i) => ({ ...body(i), unknownField: true })));
  const all422 = far.statuses.every((status) => status === 422);
  const p99 = (samples: number[]) => quantile(samples, 0.99);
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = p99(far.samples) / p99(idle);
  figures.push({
    figure: `GET /healthz p99 while POSTs with test dates ${FAR.join(', ')} arrive ${BURST} at once (${ROUNDS} bursts)`,
    ecat: `${ms(p99(far.samples))} (${far.samples.length} probes; ${all422 ? 'every POST 422' : 'NOT every POST 422'})`,
    baseline: `${ms(p99(idle))} idle (1,000 probes)`,
    ratio,
    target: '≤ 2×',
    met: ratio <= 2 && all422,
  });
  figures.push({
    figure: '(extra) the same p99 against the same bursts refused at the schema (400, no dates)',
    ecat: ms(p99(far.samples)),
    baseline: `${ms(p99(atTheDoor.samples))} (${atTheDoor.samples.length} probes)`,
    ratio: p99(far.samples) / p99(atTheDoor.samples),
    target: '–',
    met: undefined,
    note: 'for reading the figure above',
  });
  server.stdin.end();
  await new Promise((resolve) => server.once('exit', resolve));
  await dropPrefix(prefix);
}

async function csvImport(): Promise<void> {
  const N = 10_000;
  const prefix = benchPrefix('import');
  const directory = await mkdtemp(join(tmpdir(), 'ecat-bench-'));
  const file = join(directory, 'requests.csv');
  const header = 'dosServiceId,environment,endpoint,odsCode,requester.name,requester.email';
  const rows = Array.from({ length: N }, (_, i) => {
    const row = body(i);
    return [
      row.dosServiceId,
      row.environment,
      row.endpoint,
      row.odsCode,
      row.requester.name,
      row.requester.email,
    ].join(',');
  });
  await writeFile(file, [header, ...rows, ''].join('\n'));
  const out = new PassThrough().resume();
  const io: CliIo = {
    stdin: Readable.from([]),
    stdout: out,
    stderr: out,
    env: env(prefix),
    waitForStop: () => new Promise(() => undefined),
    isTTY: false,
  };
  // A one-row import first, so loading and compiling the command's modules (a one-off cost of
  // every run, not a per-row one) stays out of the timing.
  const warmUp = join(directory, 'warm-up.csv');
  await writeFile(warmUp, [header, rows[0], ''].join('\n'));
  await runCli(['import', warmUp], { ...io, env: env(`${prefix}-warm-up`) });
  await dropPrefix(`${prefix}-warm-up`);
  let code = -1;
  const ecat = await timed(async () => {
    code = await runCli(['import', file], io);
  });
  if (code !== 0) throw new Error(`ecat import exited ${code}`);
  const redis = await connectCommandRedis(REDIS_URL);
  const raw = createQueue(redis, `${prefix}-raw`);
  const jobs = Array.from({ length: N }, (_, i) => ({
    name: SEND_JOB,
    data: rawJobData(i),
    opts: RAW_JOB_OPTIONS,
  }));
  const baseline = await timed(() => raw.addBulk(jobs));
  const ratio = baseline / ecat;
  figures.push({
    figure: `CSV import of ${N.toLocaleString('en-GB')} rows (\`ecat import\`, parse to queued)`,
    ecat: rate(N, ecat),
    baseline: `${rate(N, baseline)} raw addBulk`,
    ratio,
    target: '≥ 0.5×',
    met: ratio >= 0.5,
  });
  await raw.close();
  await rm(directory, { recursive: true });
  await dropPrefix(prefix);
  await dropPrefix(`${prefix}-raw`);
}

async function pageOf(stored: number): Promise<number> {
  const prefix = benchPrefix(`page-${stored}`);
  const runtime = await openRuntime(loadConfig(env(prefix)));
  const deps = runtime.intakeDeps('bench');
  const template = await submitRequest(body(0), deps);
  if (template.outcome !== 'accepted') throw new Error(template.outcome);
  const record = (await runtime.store.get(template.id)) as RequestRecord;
  const pipeline = runtime.redis.pipeline();
  for (let i = 1; i < stored; i += 1) {
    const copy = {
      ...record,
      id: `req-bench-${i}`,
      createdAt: new Date(Date.parse(record.createdAt) + i).toISOString(),
      request: { ...record.request, dosServiceId: String(1_000_000_000 + i) },
    };
    pipeline.set(runtime.store.keys.record(copy.id), JSON.stringify(copy));
    pipeline.zadd(runtime.store.keys.index('outstanding'), Date.parse(copy.createdAt), copy.id);
  }
  await pipeline.exec();
  const rounds = 300;
  const seconds = await timed(async () => {
    for (let r = 0; r < rounds; r += 1) await runtime.store.list('outstanding', { limit: 50 });
  });
  await runtime.close();
  await dropPrefix(prefix);
  return seconds / rounds;
}

async function page(): Promise<void> {
  const small = await pageOf(100);
  const large = await pageOf(10_000);
  const ratio = large / small;
  figures.push({
    figure: 'one page (50) of outstanding requests',
    ecat: `${(large * 1000).toFixed(2)} ms with 10,000 stored`,
    baseline: `${(small * 1000).toFixed(2)} ms with 100 stored`,
    ratio,
    target: '≤ 2×',
    met: ratio <= 2,
  });
}

interface WorkerMemory {
  rss: number;
  heapUsed: number;
}

async function memoryAfter(jobs: number, sinkUrl: string): Promise<WorkerMemory> {
  const prefix = benchPrefix(`rss-${jobs}`);
  const runtime = await openRuntime(loadConfig(env(prefix)));
  const deps = runtime.intakeDeps('bench');
  for (let i = 0; i < jobs; i += 1) await submitRequest(body(i), deps);
  await runtime.close();
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/worker-rss.ts', String(jobs)],
    {
      env: { ...process.env, ...env(prefix, { SMTP_URL: sinkUrl, WORKER_CONCURRENCY: '8' }) },
      maxBuffer: 1 << 20,
    },
  );
  await dropPrefix(prefix);
  return JSON.parse(stdout.trim()) as WorkerMemory;
}

async function memory(): Promise<void> {
  const sink = await smtpCounter();
  const small = await memoryAfter(100, sink.url);
  const large = await memoryAfter(10_000, sink.url);
  await sink.close();
  const ratio = large.rss / small.rss;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
  figures.push({
    figure: 'worker RSS (settled: after a GC and idle moments)',
    ecat: `${mb(large.rss)} after 10,000 jobs`,
    baseline: `${mb(small.rss)} after 100 jobs`,
    ratio,
    target: '≤ 1.2×',
    met: ratio <= 1.2,
  });
  // Not asked for: live objects alone, which a leak would grow whatever RSS does.
  figures.push({
    figure: '(extra) the same workers’ JavaScript heap in use',
    ecat: `${mb(large.heapUsed)} after 10,000 jobs`,
    baseline: `${mb(small.heapUsed)} after 100 jobs`,
    ratio: large.heapUsed / small.heapUsed,
    target: '–',
    met: undefined,
    note: 'for reading the figure above',
  });
}

/**
 * Directory lookups a second while `ecat import` asks the DoS Search API (the tests' strict
 * stand-in, on loopback), one organisation a row, against the 10 a second the API allows. Moved
 * from test/import-csv.test.ts, which keeps only the ceiling (no second holds more than 10).
 */
async function directoryLookups(): Promise<void> {
  const N = 100;
  const ALLOWED = 10; // the DoS Search API's limit (DOMAIN.md): the baseline, published, not measured
  const prefix = benchPrefix('lookups');
  const arrivals: number[] = [];
  const state = dosState({
    endpoints: [schedulingEndpoint('ASID:918999198993')],
    respond: () => {
      arrivals.push(performance.now());
      return undefined;
    },
  });
  const dos = await startDosSearchServer(state);
  const directory = await mkdtemp(join(tmpdir(), 'ecat-bench-'));
  const file = join(directory, 'organisations.csv');
  const rows = Array.from({ length: N }, (_, i) => {
    const ods = `Y2${String(i).padStart(4, '0')}`;
    const endpoint = `https://BaRS-INT-${ods}.example-supplier.thirdparty.nhs.uk/fhir/R4`;
    return [String(1_000_000_000 + i), 'INT', endpoint, ods, 'Alex Morgan', 'alex.morgan@nhs.net'];
  });
  const header = 'dosServiceId,environment,endpoint,odsCode,requester.name,requester.email';
  await writeFile(file, [header, ...rows.map((row) => row.join(',')), ''].join('\n'));
  const out = new PassThrough().resume();
  const code = await runCli(['import', file], {
    stdin: Readable.from([]),
    stdout: out,
    stderr: out,
    env: env(prefix, { DIRECTORY_URL_INT: dos.base, APIM_ACCESS_TOKEN: 'bench' }),
    waitForStop: () => new Promise(() => undefined),
    isTTY: false,
  });
  if (code !== 0 || arrivals.length !== N || state.refused.length > 0) {
    throw new Error(
      `ecat import exited ${code}, ${arrivals.length} lookups, refused: ${state.refused.join('; ')}`,
    );
  }
  // The first second's ALLOWED go at once; what follows is the sustained rate.
  const sustained = (N - ALLOWED) / ((arrivals.at(-1)! - arrivals[0]!) / 1000);
  const busiest = Math.max(
    ...arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + 1000).length),
  );
  const ratio = sustained / ALLOWED;
  figures.push({
    figure: `directory lookups during \`ecat import\` of ${N} organisations (loopback DoS Search)`,
    ecat: `${sustained.toFixed(1)}/s sustained, ${busiest} in the busiest second`,
    baseline: `${ALLOWED}/s the DoS Search API allows`,
    ratio,
    target: '≥ 0.8×',
    met: ratio >= 0.8 && busiest <= ALLOWED,
  });
  await dos.close();
  await rm(directory, { recursive: true });
  await dropPrefix(prefix);
}

const only = process.argv[2];
const steps: [string, () => Promise<void>][] = [
  ['intake', intake],
  ['worker', worker],
  ['http', http],
  ['health', healthUnderFarDates],
  ['import', csvImport],
  ['lookups', directoryLookups],
  ['page', page],
  ['memory', memory],
];
console.log(`ecat benchmark: ${cpus().length} cores, Node ${process.version}, Redis ${REDIS_URL}`);
for (const [name, step] of steps) {
  if (only && only !== name) continue;
  process.stderr.write(`running ${name}…\n`);
  await step();
}
console.log(printTable(figures));
process.exit(0);
