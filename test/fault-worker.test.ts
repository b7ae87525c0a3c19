import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, startWorker } from '../src/wiring/runtime.ts';
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
  /** What it has printed: "ready", then "stopped" (or "stopped late", past its grace time). */
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    env: { ...process.env, ...testEnv(prefix, { SMTP_URL: sink.url, WORKER_CONCURRENCY: '4' }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve();
    });
  });
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, ready, exit, output: () => output };
}

/** mulberry32: a small seeded generator, so a run's kill points can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

    // Five workers in turn, each killed after a random 0.3–1.2 s of work. KILL_SEED=<n> replays
    // a run's kill points (the work done by then still varies with the machine's speed).
    const seed = Number(process.env.KILL_SEED ?? 20261124);
    const random = seededRandom(seed);
    const killAfterMs = Array.from({ length: 5 }, () => Math.round(300 + random() * 900));
    console.info(
      `SIGKILL points: seed ${seed} (set KILL_SEED to change it): ${killAfterMs.join(', ')} ms`,
    );
    let kills = 0;
    for (const ms of killAfterMs) {
      const worker = spawnWorker(prefix);
      await worker.ready;
      await new Promise((resolve) => setTimeout(resolve, ms));
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
    const inHand = sink.attempts - before;
    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    // Within its grace time, as the worker itself reports it: "stopped", not "stopped late"; and
    // every email whose DATA had reached the sink when the signal went was delivered first.
    expect(worker.output().trim().split('\n')).toEqual(['ready', 'stopped']);
    expect(sink.messages.length).toBeGreaterThanOrEqual(inHand);
    // Whatever the worker had in hand was finished and recorded: nothing is left active.
    const sent = await runtime.store.count('sent');
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBe(sink.messages.length);
    expect(await runtime.queue.getActiveCount()).toBe(0);
    expect(ids).toHaveLength(20);
    await runtime.close();
  }, 60_000);
});
