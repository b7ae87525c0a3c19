// ecat on the Redis a platform team runs, each started here on loopback: a 3-primary Cluster, a
// primary and replica watched by 3 Sentinels, and TLS with a test CA. One flow runs against each
// (submit → email → confirm; a retry with the same Idempotency-Key answers the same; another
// request for the same service is a 409), and a TLS or login refusal is said as such.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
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
