import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { submitRequest } from '../src/intake.ts';
import type { RequestRecord } from '../src/requests/record.ts';
import { openRuntime, startWorker, type RunningWorker, type Runtime } from '../src/runtime.ts';
import {
  countKeys,
  deletePrefix,
  ecat,
  requestBody,
  testConfig,
  testDatesIn,
  testEnv,
  uniquePrefix,
} from './support/ecat.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

const silent = pino({ level: 'silent' });
const FAST_RETRY = { attempts: 5, backoffMs: 50 };

let sink: SmtpSink;
const prefixes: string[] = [];
const workers: RunningWorker[] = [];
const runtimes: Runtime[] = [];

async function freshRuntime(name: string, extra: Record<string, string> = {}) {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url, ...extra }), {
    retry: FAST_RETRY,
  });
  runtimes.push(runtime);
  return { prefix, runtime };
}

function worker(runtime: Runtime, concurrency?: number): RunningWorker {
  const running = startWorker(
    concurrency ? { ...runtime, config: { ...runtime.config, worker: { concurrency } } } : runtime,
    silent,
  );
  workers.push(running);
  return running;
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function statusOf(runtime: Runtime, id: string): Promise<RequestRecord> {
  const record = await runtime.store.get(id);
  if (!record) throw new Error(`no record ${id}`);
  return record;
}

async function accept(runtime: Runtime, body = requestBody()): Promise<string> {
  const result = await submitRequest(body, runtime.intakeDeps('test'));
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  return result.id;
}

beforeAll(async () => {
  sink = await startSmtpSink();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((running) => running.stop(5000)));
  sink.answer = () => ({ kind: 'accept' });
  sink.messages.length = 0;
  sink.attempts = 0;
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
  await sink.close();
});

describe('delivery', () => {
  it('delivers a submitted request by SMTP and records queued then sent', async () => {
    const { runtime } = await freshRuntime('deliver');
    const id = await accept(runtime, requestBody({ testDates: testDatesIn(2) }));
    worker(runtime);
    const [mail] = await sink.waitForMessages(1);
    await until(async () => (await statusOf(runtime, id)).status === 'sent');

    const record = await statusOf(runtime, id);
    expect(record.history.map((entry) => entry.event)).toEqual(['queued', 'sent']);
    expect(record.history[1]?.details).toMatchObject({ messageId: record.messageId });
    expect(record.history[1]?.reason).toMatch(/^accepted by the mail server: 250/);
    expect(mail?.messageId).toBe(record.messageId);
    expect(mail?.subject).toMatch(
      /^\[URGENT\] BaRS Endpoint Catalogue: add DoS service 2000072489 \(INT\)/,
    );
    expect(mail?.to).toMatchObject({ value: [{ address: 'bookingandreferralstandard@nhs.net' }] });
    expect(mail?.cc).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(mail?.text).toContain('ASID:918999198993');
    expect(mail?.html).toContain('ASID:918999198993');
    expect(mail?.attachments[0]?.filename).toBe('endpoint-2000072489-INT.json');
  });

  it('fails a 550 at once with the code and the server text', async () => {
    const { runtime } = await freshRuntime('refused');
    sink.answer = () => ({ kind: 'refuse', code: 550, message: 'Mailbox unavailable' });
    const id = await accept(runtime);
    worker(runtime);
    await until(async () => (await statusOf(runtime, id)).status === 'failed');
    const record = await statusOf(runtime, id);
    expect(record.history.at(-1)?.reason).toMatch(/550.*Mailbox unavailable/);
    expect(record.history.at(-1)?.details).toMatchObject({ responseCode: 550, attempt: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.attempts).toBe(1);
  });

  it('retries a 451 and is sent on the third attempt', async () => {
    const { runtime } = await freshRuntime('retry');
    sink.answer = (attempt) =>
      attempt <= 2 ? { kind: 'refuse', code: 451, message: 'Try again later' } : { kind: 'accept' };
    const id = await accept(runtime);
    worker(runtime);
    await until(async () => (await statusOf(runtime, id)).status === 'sent');
    const record = await statusOf(runtime, id);
    expect(sink.attempts).toBe(3);
    expect(record.history.map((entry) => entry.event)).toEqual([
      'queued',
      'retry',
      'retry',
      'sent',
    ]);
    expect(sink.messages.map((mail) => mail.messageId)).toEqual([record.messageId]);
  });

  it('answers a duplicate with the existing id and writes nothing', async () => {
    const { prefix, runtime } = await freshRuntime('duplicate');
    const first = await accept(runtime);
    const keysBefore = await countKeys(prefix);
    const second = await submitRequest(
      requestBody({ serviceName: 'Again' }),
      runtime.intakeDeps('test'),
    );
    expect(second).toMatchObject({ outcome: 'duplicate', existingId: first });
    expect(await countKeys(prefix)).toBe(keysBefore);
    expect(await runtime.queue.getJobCounts('prioritized', 'waiting')).toEqual({
      prioritized: 1,
      waiting: 0,
    });
    // A PROD request for the same service is not a duplicate of the INT one.
    await accept(
      runtime,
      requestBody({
        environment: 'PROD',
        tccReference: 'TCC-1',
        endpoint: 'https://BaRS-PROD-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      }),
    );
  });

  it('lets a cancelled request be submitted again, and never sends the cancelled one', async () => {
    const { runtime } = await freshRuntime('cancel');
    const first = await accept(runtime);
    expect(
      (await runtime.store.transition(first, 'cancelled', { event: 'cancelled', reason: 'test' }))
        .ok,
    ).toBe(true);
    const second = await accept(runtime);
    worker(runtime);
    await until(async () => (await statusOf(runtime, second)).status === 'sent');
    expect(sink.messages.map((mail) => mail.headers.get('x-ecat-request-id'))).toEqual([second]);
    expect((await statusOf(runtime, first)).status).toBe('cancelled');
  });

  it('sends urgent requests before routine ones already waiting', async () => {
    const { runtime } = await freshRuntime('priority');
    const routine: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      routine.push(
        await accept(
          runtime,
          requestBody({ dosServiceId: `300000000${i}`, testDates: testDatesIn(90) }),
        ),
      );
    }
    const urgent = await accept(
      runtime,
      requestBody({ dosServiceId: '3000000099', testDates: testDatesIn(1) }),
    );
    worker(runtime, 1);
    await sink.waitForMessages(6);
    expect(sink.messages[0]?.headers.get('x-ecat-request-id')).toBe(urgent);
    expect(routine).toHaveLength(5);
  });

  it('never sends one request twice with two workers on one queue (1,000 requests)', async () => {
    const { runtime } = await freshRuntime('two-workers');
    const deps = runtime.intakeDeps('test');
    const ids = new Set<string>();
    for (let batch = 0; batch < 10; batch += 1) {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          submitRequest(
            requestBody({ dosServiceId: String(4_000_000_000 + batch * 100 + i) }),
            deps,
          ),
        ),
      );
      for (const result of results) if (result.outcome === 'accepted') ids.add(result.id);
    }
    expect(ids.size).toBe(1000);
    worker(runtime, 8);
    worker(runtime, 8);
    await sink.waitForMessages(1000, 100_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent = sink.messages.map((mail) => mail.headers.get('x-ecat-request-id') as string);
    expect(sent).toHaveLength(1000);
    expect(new Set(sent)).toEqual(ids);
    expect(await runtime.store.count('sent')).toBe(1000);
  }, 120_000);
});

describe('a worker killed mid-send', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
  });

  it('is taken over by a new worker; at most one duplicate, with the same Message-ID', async () => {
    const { prefix, runtime } = await freshRuntime('sigkill');
    sink.answer = () => ({ kind: 'hold' });
    const id = await accept(runtime);
    child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
      env: { ...process.env, ...testEnv(prefix, { SMTP_URL: sink.url }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await until(async () => sink.attempts >= 1, 20_000);
    child.kill('SIGKILL');
    sink.answer = () => ({ kind: 'accept' });

    const replacement = startWorker(runtime, silent, {
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
    });
    workers.push(replacement);
    await until(async () => (await statusOf(runtime, id)).status === 'sent', 30_000);
    const record = await statusOf(runtime, id);
    expect(sink.messages.length).toBeGreaterThanOrEqual(1);
    expect(sink.messages.length).toBeLessThanOrEqual(2);
    for (const mail of sink.messages) expect(mail.messageId).toBe(record.messageId);
  });
});

describe('Redis unreachable', () => {
  it('exits 3 with one line and writes nothing', async () => {
    const prefix = uniquePrefix('down');
    const run = await ecat(
      ['submit', '-'],
      testEnv(prefix, { REDIS_URL: 'redis://127.0.0.1:1' }),
      JSON.stringify(requestBody()),
    );
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^ecat: Redis is unreachable at redis:\/\/127\.0\.0\.1:1/),
    ]);
    expect(await countKeys(prefix)).toBe(0);
  });

  it('submit, list, show and confirm all exit 3', async () => {
    const env = testEnv(uniquePrefix('down'), { REDIS_URL: 'redis://127.0.0.1:1' });
    for (const args of [['list'], ['show', 'req-x'], ['confirm', 'req-x'], ['cancel', 'req-x']]) {
      expect((await ecat(args, env)).code).toBe(3);
    }
  });
});

describe('the CLI lifecycle', () => {
  it('submits, lists, shows, confirms and refuses what is not allowed', async () => {
    const prefix = uniquePrefix('cli');
    prefixes.push(prefix);
    const env = testEnv(prefix, { SMTP_URL: sink.url });
    const submitted = await ecat(['submit', '-', '--json'], env, JSON.stringify(requestBody()));
    expect(submitted.code).toBe(0);
    const body = JSON.parse(submitted.stdout) as { id: string; status: string; urgency: string };
    expect(body).toMatchObject({ status: 'queued', urgency: 'routine', warnings: [] });

    const again = await ecat(['submit', '-'], env, JSON.stringify(requestBody()));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`duplicate of ${body.id}`);

    const listed = await ecat(['list', '--json'], env);
    expect(JSON.parse(listed.stdout).items.map((item: RequestRecord) => item.id)).toEqual([
      body.id,
    ]);
    expect((await ecat(['list', '--status', 'bogus'], env)).code).toBe(2);

    expect((await ecat(['show', body.id], env)).stdout).toMatch(/history:\n.*queued/);
    expect((await ecat(['show', 'req-missing'], env)).code).toBe(1);

    expect((await ecat(['confirm', body.id], env)).code).toBe(0);
    const confirmedAgain = await ecat(['cancel', body.id], env);
    expect(confirmedAgain.code).toBe(1);
    expect(confirmedAgain.stderr).toMatch(/is configured; it cannot become cancelled/);
    expect(JSON.parse((await ecat(['list', '--json'], env)).stdout).items).toEqual([]);
  });
});
