// Email through a server with NHSmail's rules (Exchange Online): 3 connections per mailbox (a 4th
// is answered 432 4.3.2), a rate limit, and a daily quota answered 554 5.2.0. Every email goes
// through the one mail queue and the mail gate shared by all workers: nothing fails for these,
// no attempt is spent on them, and the limits hold across worker processes.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import { spawnTestWorker, type Child } from './support/child-worker.ts';
import { silentLog, until } from './support/delivery.ts';
import { startWorker, type RunningWorker } from '../src/wiring/runtime.ts';
import { acceptMany, deletePrefix, testConfig, testEnv, uniquePrefix } from './support/ecat.ts';
import { startSmtpSink } from './support/smtp-sink.ts';

const QUOTA_ANSWER =
  '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Message submission quota exceeded.';

const cleanups: (() => Promise<unknown>)[] = [];
const children: Child[] = [];
const workers: RunningWorker[] = [];

afterEach(async () => {
  children.splice(0).forEach((child) => {
    child.kill();
  });
  await Promise.all(workers.splice(0).map((worker) => worker.stop(5000)));
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A sink and a runtime on a fresh prefix with these mail settings, cleaned up after the file. */
async function setUp(name: string, env: Record<string, string>) {
  const sink = await startSmtpSink();
  const prefix = uniquePrefix(name);
  const mailEnv = { SMTP_URL: sink.url, MAIL_FROM: 'ecat <ecat@example.nhs.uk>', ...env };
  const runtime = await openRuntime(testConfig(prefix, mailEnv), {
    retry: { attempts: 5, backoffMs: 100 },
  });
  cleanups.push(
    () => sink.close(),
    () => runtime.close(),
    () => deletePrefix(prefix),
  );
  return { sink, runtime, env: testEnv(prefix, mailEnv) };
}

async function allSent(runtime: Runtime, ids: string[], timeoutMs = 25_000) {
  let records: (RequestRecord | undefined)[] = [];
  await until(
    async () => {
      records = await Promise.all(ids.map((id) => runtime.store.get(id)));
      return records.every((record) => record?.status === 'sent' || record?.status === 'failed');
    },
    timeoutMs,
    () =>
      `every request sent (${records.filter((r) => r?.status === 'sent').length} of ${ids.length})`,
  );
  return records as RequestRecord[];
}

const sentAttempt = (record: RequestRecord) =>
  record.history.find((entry) => entry.event === 'sent')?.details?.attempt;

describe('NHSmail limits across two worker processes', () => {
  it('sends all 20 requests over at most 3 connections, the quota answer pausing mail and costing no attempt', async () => {
    const { sink, runtime, env } = await setUp('nhsmail', {
      MAIL_MAX_CONNECTIONS: '3',
      MAIL_QUOTA_PAUSE_SECONDS: '1',
      WORKER_CONCURRENCY: '4',
    });
    sink.connectionLimit = 3;
    let quotaFor: string | undefined;
    sink.answer = (attempt, mail) => {
      if (attempt !== 5) return { kind: 'accept' };
      quotaFor = mail.headers.get('x-ecat-request-id') as string;
      return { kind: 'refuse', code: 554, message: QUOTA_ANSWER };
    };
    const spawned = [spawnTestWorker(env), spawnTestWorker(env)];
    children.push(...spawned);
    await Promise.all(spawned.map((child) => child.waitFor('ready')));
    const ids = await acceptMany(runtime, 20, 7_100_000_000);

    const records = await allSent(runtime, ids);
    expect(records.map((record) => record.status)).toEqual(ids.map(() => 'sent'));
    expect(sink.peakConnections).toBeLessThanOrEqual(3);
    expect(sink.busyRefusals).toBe(0);
    const hit = records.find((record) => record.id === quotaFor);
    expect(hit?.history.map((entry) => entry.event)).toEqual(['queued', 'deferred', 'sent']);
    expect(hit?.history[1]?.reason).toMatch(
      /daily sending quota is used up \(554 5\.2\.0 .*\): every email waits 1 s.*no attempt spent/,
    );
    // No attempt spent on it, nor on any other request.
    expect(records.map(sentAttempt)).toEqual(ids.map(() => 1));
    expect(records.flatMap((record) => record.history).filter((e) => e.event === 'retry')).toEqual(
      [],
    );
    // The pause ended by itself.
    await until(async () => !(await runtime.queue.isPaused()), 10_000, 'the mail queue resumed');
  });
});

describe('the rate limit', () => {
  it('lets no one-second window hold more than 5 emails at the server, at 5 a second', async () => {
    const { sink, runtime } = await setUp('rate', {
      MAIL_RATE_LIMIT: '5',
      MAIL_RATE_WINDOW_SECONDS: '1',
      WORKER_CONCURRENCY: '4',
    });
    workers.push(startWorker(runtime, silentLog));
    const ids = await acceptMany(runtime, 16, 7_200_000_000);
    await allSent(runtime, ids);
    expect(sink.arrivals).toHaveLength(16);
    const busiest = Math.max(
      ...sink.arrivals.map(
        (start) => sink.arrivals.filter((at) => at >= start && at < start + 1000).length,
      ),
    );
    expect(busiest).toBeLessThanOrEqual(5);
  });
});

describe('too many connections (432 4.3.2)', () => {
  it('waits and tries again without spending an attempt, when something else holds the mailbox', async () => {
    // The server allows one connection; the gate allows three, as when another program shares
    // the mailbox: the 432s are real, and each costs a short delay, never an attempt.
    const { sink, runtime } = await setUp('busy', {
      MAIL_MAX_CONNECTIONS: '3',
      MAIL_BUSY_DELAY_SECONDS: '1',
      WORKER_CONCURRENCY: '3',
    });
    sink.connectionLimit = 1;
    sink.answer = () => ({ kind: 'delay', ms: 100 });
    workers.push(startWorker(runtime, silentLog));
    const ids = await acceptMany(runtime, 6, 7_300_000_000);
    const records = await allSent(runtime, ids);
    expect(records.map((record) => record.status)).toEqual(ids.map(() => 'sent'));
    expect(sink.busyRefusals).toBeGreaterThan(0);
    const deferred = records
      .flatMap((record) => record.history)
      .filter((e) => e.event === 'deferred');
    expect(deferred.length).toBeGreaterThan(0);
    expect(deferred[0]?.reason).toMatch(
      /too many connections .*432 4\.3\.2.*tried again in 1 s; no attempt spent/,
    );
    expect(records.map(sentAttempt)).toEqual(ids.map(() => 1));
  });
});
