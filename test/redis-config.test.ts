// Redis by configuration: one URL, a Sentinel group or a Cluster, TLS with a private CA and a name
// to check, each refused in one line when it cannot work (and never with a password in it).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/wiring/config.ts';

let dir: string;
let caFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecat-redis-config-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('Redis settings', () => {
  it('reads a Sentinel group: its addresses, the primary it watches, both passwords', () => {
    const { redis } = loadConfig({
      REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'ecat-primary',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      REDIS_PASSWORD: 'data-secret',
    });
    expect(redis.topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'ecat-primary',
      sentinelPassword: 'sentinel-secret',
    });
    expect(redis.password).toBe('data-secret');
    expect(redis.explicit).toBe(true);
    expect(redis.describe).not.toContain('secret');
  });

  it('reads a Cluster only with a hash-tagged prefix, so every key shares one slot', () => {
    const nodes = { REDIS_CLUSTER_NODES: 'clustercfg.ecat.cache.amazonaws.com:6379' };
    expect(refusal(nodes)).toMatch(
      /^QUEUE_PREFIX must be a hash tag in Cluster mode, such as '\{ecat\}'/,
    );
    const { redis, queuePrefix } = loadConfig({
      ...nodes,
      QUEUE_PREFIX: '{ecat}',
      REDIS_TLS: 'on',
    });
    expect(queuePrefix).toBe('{ecat}');
    expect(redis.topology).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'clustercfg.ecat.cache.amazonaws.com', port: 6379 }],
    });
    expect(redis.tls).toEqual({});
    expect(redis.describe).toBe('cluster via clustercfg.ecat.cache.amazonaws.com:6379 (TLS)');
  });

  it('reads TLS from a rediss:// URL, with a private CA and the name to check', () => {
    const { redis } = loadConfig({
      REDIS_URL: 'rediss://:pw@10.1.2.3:6380',
      REDIS_TLS_CA_FILE: caFile,
      REDIS_TLS_SERVERNAME: 'redis.ecat.internal',
    });
    expect(redis.tls).toEqual({
      ca: expect.stringContaining('BEGIN CERTIFICATE') as unknown,
      servername: 'redis.ecat.internal',
    });
    expect(redis.describe).toBe('rediss://***@10.1.2.3:6380');
  });

  it('refuses settings that cannot work, in one line naming the variable', () => {
    expect(
      refusal({
        REDIS_URL: 'redis://a:6379',
        REDIS_SENTINELS: 's:26379',
        REDIS_SENTINEL_MASTER: 'm',
      }),
    ).toBe('set one of REDIS_URL and REDIS_SENTINELS: they name different kinds of Redis');
    expect(refusal({ REDIS_SENTINELS: 's:26379' })).toBe(
      'REDIS_SENTINEL_MASTER must name the primary the sentinels watch',
    );
    expect(refusal({ REDIS_CLUSTER_NODES: 'node-a', QUEUE_PREFIX: '{ecat}' })).toBe(
      "REDIS_CLUSTER_NODES must be host:port, comma-separated (got 'node-a')",
    );
    expect(refusal({ REDIS_URL: 'redis://a:6379', REDIS_TLS_CA_FILE: caFile })).toBe(
      'REDIS_TLS_CA_FILE and REDIS_TLS_SERVERNAME need TLS: a rediss:// URL, or REDIS_TLS=on',
    );
    expect(
      refusal({ REDIS_URL: 'rediss://a:6379', REDIS_TLS_CA_FILE: join(dir, 'none.pem') }),
    ).toMatch(/^REDIS_TLS_CA_FILE: ENOENT/);
    expect(refusal({ REDIS_URL: 'redis://a:6379', REDIS_PASSWORD: 'hunter2' })).toMatch(
      /^REDIS_USERNAME and REDIS_PASSWORD are for Sentinel and Cluster/,
    );
    expect(refusal({ REDIS_WAIT_TIMEOUT_MS: '5000' })).toBe(
      'REDIS_WAIT_TIMEOUT_MS must be less than REDIS_COMMAND_TIMEOUT_MS (5000)',
    );
    expect(refusal({ QUEUE_PREFIX: '{ecat' })).toMatch(/^QUEUE_PREFIX must be letters/);
    // A password is never echoed, whichever variable is refused.
    expect(
      refusal({
        REDIS_SENTINEL_PASSWORD: '',
        REDIS_PASSWORD: 'x'.repeat(3),
        REDIS_URL: 'redis://a:1',
      }),
    ).not.toContain('xxx');
  });
});
