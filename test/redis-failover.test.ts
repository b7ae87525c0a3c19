// Failover under traffic, with ecat as it runs (`ecat serve` and `ecat worker` processes) on a
// primary and replica watched by 3 Sentinels: a failover by command, a SIGKILL of the primary and
// the old primary back as a replica at its old address (READONLY). Each run is bounded (200
// requests, a minute) and prints what a platform team would ask: accepted, 503s, 500s (none),
// accepted but lost (none, with WAIT), duplicate emails (at most one per request), and whether
// every process answers POSTs again once there is a primary.
import { kill } from 'node:process';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { spawnEcat, type Child } from './support/child-worker.ts';
import { requestBody, testEnv, uniquePrefix } from './support/ecat.ts';
import { until } from './support/poll.ts';
import { freePort } from './support/redis-server.ts';
import {
  startSentinelGroup,
  type Address,
  type SentinelGroup,
} from './support/redis-topologies.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { buildTestServer } from './support/web.ts';

const PASSWORD = 'failover-secret';
let group: SentinelGroup;
let sink: SmtpSink;
const children: Child[] = [];

beforeAll(async () => {
  [group, sink] = await Promise.all([startSentinelGroup({ password: PASSWORD }), startSmtpSink()]);
}, 60_000);

afterEach((context) => {
  for (const child of children.splice(0)) {
    // A failed run shows what each process said (its log is JSON lines on stderr).
    if (context.task.result?.state === 'fail') {
      const warnings = child
        .output()
        .split('\n')
        .filter((line) => /"level":[45]0/.test(line));
      console.log(warnings.slice(0, 40).join('\n'));
    }
    child.kill();
  }
});

afterAll(async () => {
  await Promise.all([group.stop(), sink.close()]);
});

function sentinelEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  const { REDIS_URL: _tests, ...env } = testEnv(prefix, { SMTP_URL: sink.url, LOG_LEVEL: 'info' });
  return {
    ...env,
    REDIS_SENTINELS: group.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_MASTER: group.masterName,
    REDIS_PASSWORD: PASSWORD,
    // One client sends all 200: the per-address limit is not what is tested here.
    API_RATE_LIMIT_PER_MINUTE: '100000',
    // A send whose lock the failover lost runs again after this, not after the default 30 s.
    WORKER_LOCK_SECONDS: '5',
    ...extra,
  };
}

/** `ecat serve` on a free port; its base URL once it answers. */
async function serve(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawnEcat(['serve'], { ...env, PORT: String(port) });
  children.push(child);
  await child.waitFor(`HTTP server on http://127.0.0.1:${port}`, 20_000);
  return `http://127.0.0.1:${port}`;
}

interface Outcome {
  status: number | 'timeout';
  id?: string;
}

const latencies: number[] = [];

async function post(base: string, dosServiceId: string): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(`${base}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `k-${dosServiceId}` },
      body: JSON.stringify(requestBody({ dosServiceId })),
      signal: AbortSignal.timeout(8000),
    });
    const body = (await response.json()) as { id?: string };
    latencies.push(performance.now() - started);
    return { status: response.status, ...(body.id ? { id: body.id } : {}) };
  } catch {
    return { status: 'timeout' };
  }
}

/**
 * 200 requests, one every 20 ms, up to 8 at once; `disturb` runs once 40 have gone. Then every
 * accepted one is read back, its emails counted, and a last POST must be accepted.
 */
async function underTraffic(
  name: string,
  base: string,
  seed: number,
  disturb: () => Promise<void>,
): Promise<{ outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let disturbance: Promise<void> | undefined;
  const started = performance.now();
  for (let i = 0; i < 200; i += 1) {
    if (i === 40) disturbance = disturb();
    while (inFlight.size >= 8) await Promise.race(inFlight);
    const sending = post(base, String(seed + i)).then((outcome) => {
      outcomes.push(outcome);
    });
    const tracked = sending.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await Promise.all(inFlight);
  await disturbance;

  const sorted = latencies.splice(0).sort((a, b) => a - b);
  const accepted = outcomes.filter((o) => o.status === 202);
  const count = (status: Outcome['status']) => outcomes.filter((o) => o.status === status).length;
  // Each accepted request is emailed; a send repeated by a failover carries the same Message-ID.
  const ids = new Set(accepted.map((o) => o.id));
  const unsent = () =>
    [...ids].filter((id) => !sink.messages.some((m) => m.headers.get('x-ecat-request-id') === id));
  // A send that failed while no primary answered, and could not be put off by 2 s either (Redis
  // still away), waits for BullMQ's backoff: 30 s.
  await until(
    () => unsent().length === 0,
    45_000,
    () => `an email for every accepted request; none yet for ${unsent().join(', ')}`,
  );
  // Accepted means kept: once all is settled, each one is there on whichever node is primary.
  const lost: string[] = [];
  for (const { id } of accepted) {
    const response = await fetch(`${base}/api/requests/${id ?? ''}`);
    if (response.status !== 200) lost.push(id ?? '');
  }
  const emails = new Map<string, number>();
  for (const mail of sink.messages) {
    const id = mail.headers.get('x-ecat-request-id') as string | undefined;
    if (id === undefined) continue;
    if (ids.has(id)) emails.set(id, (emails.get(id) ?? 0) + 1);
  }
  const duplicates = [...emails.values()].reduce((sum, n) => sum + (n - 1), 0);
  const afterwards = await post(base, String(seed + 500));
  console.log(
    `${name}: ${outcomes.length} requests (median ${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} ms, slowest ${Math.round(sorted.at(-1) ?? 0)} ms), settled in ${Math.round(performance.now() - started)} ms: ${accepted.length} accepted, ${count(503)} × 503, ${count(500)} × 500, ${count('timeout')} timed out, ${lost.length} accepted but lost, ${duplicates} duplicate emails; a POST afterwards: ${String(afterwards.status)}`,
  );
  expect(count(500)).toBe(0);
  expect(lost).toEqual([]);
  expect(Math.max(0, ...[...emails.values()])).toBeLessThanOrEqual(2);
  expect(outcomes.every((o) => o.status === 202 || o.status === 503 || o.status === 409)).toBe(
    true,
  );
  expect(afterwards.status).toBe(202);
  return { outcomes };
}

describe('Sentinel failover under traffic', () => {
  it('by command: requests go on to the new primary; nothing accepted is lost', async () => {
    const env = sentinelEnv(uniquePrefix('failover-command'));
    const base = await serve(env);
    children.push(spawnEcat(['worker'], env));
    await underTraffic('failover by command', base, 9400000000, () => group.failoverByCommand());
  }, 60_000);

  it('by SIGKILL of the primary; then the old primary back, demoted, at its old address', async () => {
    const prefix = uniquePrefix('failover-kill');
    const env = sentinelEnv(prefix);
    const base = await serve(env);
    children.push(spawnEcat(['worker'], env));
    // A server given the primary's address itself (no Sentinel), as a fixed endpoint would be.
    const primary = await group.primary();
    const { REDIS_URL: _tests, ...plain } = env;
    const { REDIS_SENTINELS: _s, REDIS_SENTINEL_MASTER: _m, REDIS_PASSWORD: _p, ...direct } = plain;
    const stale = await serve({
      ...direct,
      REDIS_URL: `redis://:${PASSWORD}@${primary.host}:${primary.port}`,
    });
    expect((await post(stale, '9420000000')).status).toBe(202);
    let killed: Address | undefined;
    // Killed, replaced by its replica, then back as that one's replica, all under traffic: while
    // no replica is connected, a POST is refused (503, nothing stored) rather than accepted
    // unconfirmed.
    await underTraffic('SIGKILL of the primary', base, 9410000000, async () => {
      killed = await group.killPrimary();
      await group.waitForPrimaryChange(killed, 30_000);
      await group.restartNode(killed.port);
      await group.waitForReplica(killed, 30_000);
    });
    // The server that was given the old primary's address finds a replica there now (READONLY):
    // it says it is not ready and answers 503, never 500, and it does not wedge.
    expect(killed).toEqual(primary);
    await until(
      async () => (await fetch(`${stale}/readyz`)).status === 503,
      10_000,
      'the stale server to say it is not ready',
    );
    const refused = await Promise.all([1, 2, 3].map((i) => post(stale, String(9420000000 + i))));
    expect(refused.map((o) => o.status)).toEqual([503, 503, 503]);
    expect((await fetch(`${stale}/healthz`)).status).toBe(200);
    // The Sentinel-configured server answers POSTs as before.
    expect((await post(base, '9420000099')).status).toBe(202);
  }, 60_000);
});

describe('"accepted" means kept (WAIT)', () => {
  it('answers 503 when no replica confirms in time; the same Idempotency-Key then gets the 202', async () => {
    const env = sentinelEnv(uniquePrefix('wait'), { REDIS_WAIT_TIMEOUT_MS: '300' });
    const runtime = await openRuntime(loadConfig(env));
    const app = await buildTestServer(runtime, { logger: pino({ level: 'silent' }) });
    const primary = await group.primary();
    const replica = group.nodes.find((node) => node.port !== primary.port);
    if (!replica) throw new Error('no replica');
    const replicaClient = new Redis({ ...replica, password: PASSWORD });
    const pid = Number(/process_id:(\d+)/.exec(await replicaClient.info('server'))?.[1]);
    replicaClient.disconnect();
    const send = () =>
      app.inject({
        method: 'POST',
        url: '/api/requests',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'wait-test' },
        payload: requestBody({ dosServiceId: '9430000001' }),
      });
    try {
      // The replica stopped (as a stalled host would be): the primary takes the write, no one
      // confirms it.
      kill(pid, 'SIGSTOP');
      const late = await send();
      kill(pid, 'SIGCONT');
      expect(late.statusCode).toBe(503);
      expect(late.json<{ errors: { message: string }[] }>().errors[0]?.message).toMatch(
        /no replica confirmed it within 300 ms/,
      );
      // The record stands on the primary: the retry with the same key is its 202, not a 409.
      const retried = await until(
        async () => {
          const again = await send();
          return again.statusCode === 202 ? again : undefined;
        },
        10_000,
        'the retry to be answered 202',
      );
      expect(retried.headers['idempotent-replayed']).toBe('true');
    } finally {
      kill(pid, 'SIGCONT');
      await app.close();
      await runtime.close();
    }
  }, 30_000);
});
