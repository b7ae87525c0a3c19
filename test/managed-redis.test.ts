// ecat on the Redis a platform team runs, each started here on loopback: a 3-primary Cluster, a
// primary and replica watched by 3 Sentinels, and TLS with a test CA. One flow runs against each
// (submit → email → confirm; a retry with the same Idempotency-Key answers the same; another
// request for the same service is a 409), and a TLS or login refusal is said as such.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { connectCommandRedis } from '../src/adapters/redis/connection.ts';
import { moveKeys } from '../src/adapters/redis/move-keys.ts';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime, startWorker, type Runtime } from '../src/wiring/runtime.ts';
import { ecat, requestBody, testEnv, uniquePrefix } from './support/ecat.ts';
import { until } from './support/poll.ts';
import {
  createUnrelatedCa,
  startRedisCluster,
  startSentinelGroup,
  startTlsRedis,
  type RedisCluster,
  type SentinelGroup,
  type TlsRedis,
} from './support/redis-topologies.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { createTestRedis } from './support/redis-server.ts';
import { buildTestServer } from './support/web.ts';

const silent = pino({ level: 'silent' });
let sink: SmtpSink;
let cluster: RedisCluster;
let sentinels: SentinelGroup;
let tls: TlsRedis;

beforeAll(async () => {
  const started = performance.now();
  [sink, cluster, sentinels, tls] = await Promise.all([
    startSmtpSink(),
    startRedisCluster(),
    startSentinelGroup({ password: 'data-secret' }),
    startTlsRedis({ password: 'tls-secret' }),
  ]);
  console.log(
    `managed Redis started in ${Math.round(performance.now() - started)} ms: cluster ${cluster.startupMs} ms, sentinel group ${sentinels.startupMs} ms, TLS ${tls.startupMs} ms`,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([sink.close(), cluster.stop(), sentinels.stop(), tls.stop()]);
});

/** The environment of an ecat on `redis` (no REDIS_URL of the tests' own Redis). */
function envFor(prefix: string, redis: Record<string, string>): Record<string, string> {
  const { REDIS_URL: _unused, ...rest } = testEnv(prefix, { SMTP_URL: sink.url, ...redis });
  return { ...rest, ...redis };
}

const json = { 'content-type': 'application/json' };

/** Submit → email → confirm, with a retried Idempotency-Key and a duplicate, on one runtime. */
async function flow(runtime: Runtime, app: FastifyInstance, dosServiceId: string): Promise<void> {
  const body = requestBody({ dosServiceId });
  const post = (headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/api/requests',
      headers: { ...json, ...headers },
      payload: body,
    });
  const key = { 'idempotency-key': `key-${dosServiceId}` };
  const first = await post(key);
  expect(first.statusCode, first.body).toBe(202);
  const { id } = first.json<{ id: string }>();

  // The client lost the answer and sends again: the same answer, no second request.
  const retried = await post(key);
  expect(retried.statusCode).toBe(202);
  expect(retried.headers['idempotent-replayed']).toBe('true');
  expect(retried.json()).toEqual(first.json());
  // Without the key it is another request for the same service: refused as a duplicate.
  const duplicate = await post();
  expect(duplicate.statusCode).toBe(409);
  expect(duplicate.json<{ existingId: string }>().existingId).toBe(id);

  await until(
    () => sink.messages.some((mail) => mail.headers.get('x-ecat-request-id') === id),
    15_000,
    `the email for ${id}`,
  );
  await until(async () => (await runtime.store.get(id))?.status === 'sent', 10_000, `${id} sent`);
  const confirmed = await app.inject({
    method: 'POST',
    url: `/api/requests/${id}/confirm`,
    headers: json,
  });
  expect(confirmed.statusCode, confirmed.body).toBe(200);
  expect((await runtime.store.get(id))?.status).toBe('configured');
}

/** Opens ecat on `env`, runs the flow with a worker, and closes everything. */
async function runFlow(env: Record<string, string>, dosServiceId: string): Promise<void> {
  const runtime = await openRuntime(loadConfig(env));
  const app = await buildTestServer(runtime);
  const worker = startWorker(runtime, silent);
  try {
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await flow(runtime, app, dosServiceId);
  } finally {
    await worker.stop(5000);
    await app.close();
    await runtime.close();
  }
}

describe('a Redis Cluster of 3 primaries', () => {
  it('runs the whole flow with every key under one hash tag', async () => {
    const env = envFor('{ecat-cluster}', {
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
      QUEUE_PREFIX: '{ecat-cluster}',
    });
    await runFlow(env, '9300000001');
    // Every key ecat and BullMQ made is in the tag's one slot, on one primary.
    const client = new Cluster(cluster.nodes, { lazyConnect: true });
    try {
      await client.connect();
      const slots = new Set<number>();
      for (const node of client.nodes('master')) {
        const keys = await node.keys('*');
        for (const key of keys) slots.add(await node.cluster('KEYSLOT', key));
      }
      expect(slots.size).toBe(1);
      expect([...slots]).toEqual([await client.cluster('KEYSLOT', '{ecat-cluster}')]);
    } finally {
      client.disconnect();
    }
  }, 60_000);

  it('refuses a prefix without a hash tag, and `ecat migrate-keys` moves one to a tag', async () => {
    const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    const refused = await ecat(
      ['list'],
      envFor('old', { REDIS_CLUSTER_NODES: nodes, QUEUE_PREFIX: 'old' }),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /QUEUE_PREFIX must be a hash tag in Cluster mode, such as '\{old\}'/,
    );

    // Keys an older deployment left under a plain prefix, spread over the slots.
    const redis = await connectCommandRedis(
      loadConfig(envFor('{moved}', { REDIS_CLUSTER_NODES: nodes, QUEUE_PREFIX: '{moved}' })).redis,
    );
    try {
      for (let i = 0; i < 50; i += 1) await redis.set(`plain:key-${i}`, String(i), 'EX', 600);
      const report = await moveKeys(redis, 'plain', '{moved}');
      expect(report).toEqual({ moved: 50, taken: [] });
      expect(await redis.get('{moved}:key-7')).toBe('7');
      expect(await redis.ttl('{moved}:key-7')).toBeGreaterThan(500);
      expect(await redis.exists('plain:key-7')).toBe(0);
    } finally {
      redis.disconnect();
    }
  }, 30_000);
});

describe('a primary and replica behind 3 Sentinels', () => {
  it('runs the whole flow, each accepted request confirmed on the replica (WAIT)', async () => {
    const env = envFor(uniquePrefix('sentinel'), {
      REDIS_SENTINELS: sentinels.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      REDIS_SENTINEL_MASTER: sentinels.masterName,
      REDIS_PASSWORD: 'data-secret',
    });
    await runFlow(env, '9300000002');
  }, 60_000);
});

describe('TLS with a private CA', () => {
  it('runs the whole flow over rediss:// with the CA and the name in the certificate', async () => {
    const env = envFor(uniquePrefix('tls'), {
      REDIS_URL: tls.url,
      REDIS_TLS_CA_FILE: tls.caFile,
      REDIS_TLS_SERVERNAME: tls.servername,
    });
    await runFlow(env, '9300000003');
  }, 60_000);

  it('says a certificate from another CA, or a wrong password, is refused: exit 2, one line', async () => {
    const other = await createUnrelatedCa();
    try {
      const untrusted = await ecat(
        ['list'],
        envFor('tls-refused', {
          REDIS_URL: tls.url,
          REDIS_TLS_CA_FILE: other.caFile,
          REDIS_TLS_SERVERNAME: tls.servername,
        }),
      );
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr.trim().split('\n')).toHaveLength(1);
      expect(untrusted.stderr).toMatch(
        /^ecat: configuration: Redis at rediss:\/\/\*\*\*@127\.0\.0\.1:\d+ refused TLS or its certificate was not accepted \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
      );
    } finally {
      await other.remove();
    }
    const wrongPassword = await ecat(
      ['list'],
      envFor('tls-wrong-password', {
        REDIS_URL: tls.url.replace('tls-secret', 'not-it'),
        REDIS_TLS_CA_FILE: tls.caFile,
        REDIS_TLS_SERVERNAME: tls.servername,
      }),
    );
    expect(wrongPassword.code).toBe(2);
    expect(wrongPassword.stderr).toMatch(/refused the login \(WRONGPASS\)/);
    expect(wrongPassword.stderr).not.toContain('not-it');
  }, 30_000);
});

describe('a Redis that cannot keep everything', () => {
  it('is refused at start when it would evict keys: exit 2, one line naming the policy', async () => {
    const redis = await createTestRedis();
    await redis.start();
    try {
      const client = new Redis(redis.url);
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      client.disconnect();
      const run = await ecat(['list'], envFor('evicting', { REDIS_URL: redis.url }));
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `ecat: configuration: Redis at ${redis.url} has maxmemory-policy allkeys-lru: it may drop requests and jobs when full. Set it to noeviction (a parameter group on managed Redis)\n`,
      );
    } finally {
      await redis.remove();
    }
  }, 30_000);
});

// Last in the file: it takes a primary of the shared cluster away for good.
describe('a Cluster that lost a primary', () => {
  it('answers POSTs 503 with Retry-After, never 500, and is not ready', async () => {
    const env = envFor('{ecat-down}', {
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
      QUEUE_PREFIX: '{ecat-down}',
      REDIS_COMMAND_TIMEOUT_MS: '1000',
      REDIS_WAIT_TIMEOUT_MS: '500',
    });
    const runtime = await openRuntime(loadConfig(env));
    const app = await buildTestServer(runtime);
    try {
      // The primary that owns the prefix's slot, stopped as a crashed host would be.
      const owner = await primaryOwning(cluster, '{ecat-down}');
      process.kill(owner.pid, 'SIGKILL');
      const statuses: number[] = [];
      const retryAfter = new Set<string>();
      for (let i = 0; i < 10; i += 1) {
        const response = await app.inject({
          method: 'POST',
          url: '/api/requests',
          headers: json,
          payload: requestBody({ dosServiceId: String(9300000100 + i) }),
        });
        statuses.push(response.statusCode);
        retryAfter.add(String(response.headers['retry-after']));
      }
      expect(statuses).toEqual(Array.from({ length: 10 }, () => 503));
      expect([...retryAfter]).toEqual(['30']);
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await app.close();
      await runtime.close();
    }
  }, 60_000);
});

/** The process of the cluster primary that holds `key`'s slot (its CLUSTER NODES ranges). */
async function primaryOwning(redisCluster: RedisCluster, key: string): Promise<{ pid: number }> {
  const client = new Cluster(redisCluster.nodes, { lazyConnect: true });
  try {
    await client.connect();
    for (const node of client.nodes('master')) {
      const slot = await node.cluster('KEYSLOT', key);
      const myself = ((await node.cluster('NODES')) as string)
        .split('\n')
        .find((line) => line.includes('myself'));
      // Fields 9 on are the slot ranges it owns: "0-5460", or a lone slot.
      const owns = (myself ?? '')
        .split(' ')
        .slice(8)
        .some((range) => {
          const [from = '', to = from] = range.split('-');
          return slot >= Number(from) && slot <= Number(to);
        });
      if (owns) return { pid: Number(/process_id:(\d+)/.exec(await node.info('server'))?.[1]) };
    }
    throw new Error(`no primary owns the slot of ${key}`);
  } finally {
    client.disconnect();
  }
}
