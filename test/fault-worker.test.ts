import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, startWorker } from '../src/runtime.ts';
import { deletePrefix, testConfig, testEnv, uniquePrefix, acceptMany } from './support/ecat.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

let sink: SmtpSink;
const prefixes: string[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
});

function spawnWorker(prefix: string): {
  child: ChildProcess;
  ready: Promise<void>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    env: { ...process.env, ...testEnv(prefix, { SMTP_URL: sink.url, WORKER_CONCURRENCY: '4' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exit };
}

describe('workers killed with SIGKILL at random points', () => {
  it('delivers all 200 requests; duplicates are counted and carry the same Message-ID', async () => {
    const prefix = uniquePrefix('sigkill-200');
    prefixes.push(prefix);
    const runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url }), {
      retry: { attempts: 10, backoffMs: 50 },
    });
    const ids = await acceptMany(runtime, 200, 8_300_000_000);
    sink.messages.length = 0;
    sink.answer = () => ({ kind: 'delay', ms: 20 });

    // Five workers in turn, each killed after a random 0.3–1.2 s of work.
    let kills = 0;
    for (let round = 0; round < 5; round += 1) {
      const worker = spawnWorker(prefix);
      await worker.ready;
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 900));
      worker.child.kill('SIGKILL');
      await worker.exit;
      kills += 1;
    }
    // A last worker, left alone, takes over the killed workers' jobs once their locks expire.
    const survivor = startWorker(runtime, pino({ level: 'silent' }), {
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
    });
    const deadline = Date.now() + 60_000;
    while ((await runtime.store.count('sent')) < 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await survivor.stop(5000);

    for (const id of ids) expect((await runtime.store.get(id))?.status).toBe('sent');
    const byRequest = new Map<string, Set<string>>();
    for (const mail of sink.messages) {
      const id = mail.headers.get('x-ecat-request-id') as string;
      byRequest.set(id, (byRequest.get(id) ?? new Set()).add(mail.messageId ?? ''));
    }
    expect(byRequest.size).toBe(200);
    for (const messageIds of byRequest.values()) expect(messageIds.size).toBe(1);
    const duplicates = sink.messages.length - 200;
    console.info(
      `SIGKILL x${kills} over 200 requests: ${sink.messages.length} emails, ${duplicates} duplicates (same Message-ID)`,
    );
    await runtime.close();
  }, 150_000);
});

describe('SIGTERM during load', () => {
  it('finishes the job in hand and exits 0 within its grace time', async () => {
    const prefix = uniquePrefix('sigterm');
    prefixes.push(prefix);
    const runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url }));
    const ids = await acceptMany(runtime, 20, 8_400_000_000);
    sink.messages.length = 0;
    const before = sink.attempts;
    sink.answer = () => ({ kind: 'delay', ms: 800 });
    const worker = spawnWorker(prefix);
    await worker.ready;
    while (sink.attempts === before) await new Promise((resolve) => setTimeout(resolve, 20));
    const signalled = Date.now();
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    // Whatever the worker had in hand was finished and recorded: nothing is left active.
    const sent = await runtime.store.count('sent');
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBe(sink.messages.length);
    expect(await runtime.queue.getActiveCount()).toBe(0);
    expect(ids).toHaveLength(20);
    await runtime.close();
  }, 60_000);
});
