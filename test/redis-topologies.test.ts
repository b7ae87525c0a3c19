// The Redis topologies of test/support/redis-topologies.ts, checked with ioredis alone before
// ecat's own tests lean on them: a cluster that takes writes through a seed, a sentinel group
// that really fails over (by command, by a killed primary, and back), and TLS that trusts only
// its own test CA.
import { readFile } from 'node:fs/promises';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from './support/poll.ts';
import {
  createUnrelatedCa,
  startRedisCluster,
  startSentinelGroup,
  startTlsRedis,
  type Address,
  type RedisCluster,
  type SentinelGroup,
  type TestCa,
  type TlsRedis,
} from './support/redis-topologies.ts';

/** Starts a topology for the describe block, prints how long that took, stops it after. */
function useTopology<T extends { startupMs: number; stop(): Promise<void> }>(
  name: string,
  start: () => Promise<T>,
): () => T {
  let topology: T | undefined;
  beforeAll(async () => {
    topology = await start();
    console.log(`${name} started in ${topology.startupMs} ms`);
  }, 30_000);
  afterAll(async () => {
    await topology?.stop();
  });
  return () => {
    if (!topology) throw new Error(`${name} did not start`);
    return topology;
  };
}

// Every client a test opens is closed after it, passed or failed.
const clients: { disconnect(): void }[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
function opened<T extends { disconnect(): void }>(client: T): T {
  clients.push(client);
  return client;
}

/** A client that gives up at once: these tests want the first answer or the first error. */
const ONE_TRY: RedisOptions = { retryStrategy: () => null, maxRetriesPerRequest: 0 };

describe('a Redis Cluster of three masters', () => {
  const cluster = useTopology<RedisCluster>('the cluster', () => startRedisCluster());

  it('takes a write and a read through one seed', async () => {
    const client = opened(new Cluster([cluster().seedUrl]));
    await client.set('{ecat}:a', '1');
    expect(await client.get('{ecat}:a')).toBe('1');
  });

  it('shares all 16384 slots among the three masters', async () => {
    const [seed] = cluster().nodes;
    const client = opened(new Redis({ ...seed, ...ONE_TRY }));
    const owners = new Map<number, number>();
    for (const [from, to, master] of await client.cluster('SLOTS')) {
      const port = master?.[1] ?? 0;
      owners.set(port, (owners.get(port) ?? 0) + to - from + 1);
    }
    const byPort = (a: number, b: number) => a - b;
    const masters = cluster().nodes.map(({ port }) => port);
    expect([...owners.keys()].toSorted(byPort)).toEqual(masters.toSorted(byPort));
    expect([...owners.values()].reduce((sum, slots) => sum + slots, 0)).toBe(16_384);
  });
});

// One group, taken through its life in order: each test starts where the one before left it.
describe('a Sentinel group: a primary, a replica and three sentinels', () => {
  const PASSWORD = 'sentinel group secret';
  const group = useTopology<SentinelGroup>('the sentinel group', () =>
    startSentinelGroup({ password: PASSWORD }),
  );
  const viaSentinels = () =>
    opened(
      new Redis({ sentinels: group().sentinels, name: group().masterName, password: PASSWORD }),
    );
  const direct = (node: Address) => opened(new Redis({ ...node, password: PASSWORD, ...ONE_TRY }));
  /** Writes through a fresh sentinel client and reads the value back from `primary` itself. */
  const writesReach = async (primary: Address, value: string) => {
    await viaSentinels().set('ecat:topology', value);
    expect(await direct(primary).get('ecat:topology')).toBe(value);
  };
  let first: Address;
  let second: Address;
  let killed: Address;

  it('a sentinel client writes to the primary', async () => {
    first = await group().primary();
    expect(first).toEqual(group().nodes[0]);
    await writesReach(first, 'first');
  });

  it('after SENTINEL FAILOVER, a fresh sentinel client writes to the new primary', async () => {
    await group().failoverByCommand();
    second = await group().primary();
    expect(second.port).not.toBe(first.port);
    await writesReach(second, 'second');
  }, 30_000);

  it('after the primary is killed, sentinel promotes the other node', async () => {
    killed = await group().killPrimary();
    expect(killed).toEqual(second);
    const promoted = await group().waitForPrimaryChange(killed, 20_000);
    expect(promoted).toEqual(first);
    await writesReach(promoted, 'third');
  }, 30_000);

  it('the killed primary comes back at its address as a replica and refuses writes', async () => {
    await group().restartNode(killed.port);
    await group().waitForReplica(killed, 20_000);
    const old = direct(killed);
    expect((await old.role())[0]).toBe('slave');
    await expect(old.set('ecat:topology', 'stale')).rejects.toThrow(/^READONLY/);
    // It caught up with what was written while it was down.
    await until(async () => (await old.get('ecat:topology')) === 'third', 5_000, 'replication');
  }, 30_000);
});

describe('Redis over TLS with a password, signed by a test CA', () => {
  const PASSWORD = 'tls secret';
  const server = useTopology<TlsRedis>('the TLS server', () =>
    startTlsRedis({ password: PASSWORD }),
  );
  let other: TestCa | undefined;
  afterAll(async () => {
    await other?.remove();
  });

  const client = (url: string, ca: string) =>
    opened(
      new Redis(url, {
        ...ONE_TRY,
        tls: { ca, servername: server().servername },
        lazyConnect: true,
      }),
    );
  /** The first error the client reports while connecting and sending PING; none: undefined. */
  const failureOf = (redis: Redis): Promise<unknown> =>
    new Promise((resolve) => {
      redis.once('error', resolve);
      redis
        .connect()
        .then(() => redis.ping())
        .then(() => {
          resolve(undefined);
        }, resolve);
    });

  it('answers a client that trusts the test CA and names the server', async () => {
    const redis = client(server().url, await readFile(server().caFile, 'utf8'));
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  });

  it('is refused by a client that trusts another CA', async () => {
    other = await createUnrelatedCa();
    const redis = client(server().url, other.ca);
    const error = await failureOf(redis);
    expect(error).toBeInstanceOf(Error);
    // redis-server sends its CA along with its certificate (OpenSSL builds the chain), so Node
    // finds a self-signed root it does not trust; with the leaf alone it cannot verify it.
    expect((error as NodeJS.ErrnoException).code).toMatch(
      /^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/,
    );
  });

  it('refuses a wrong password with WRONGPASS', async () => {
    const wrong = server().url.replace(encodeURIComponent(PASSWORD), 'wrong');
    const redis = client(wrong, await readFile(server().caFile, 'utf8'));
    const error = await failureOf(redis);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^WRONGPASS/);
  });
});
