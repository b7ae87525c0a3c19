// How to reach Redis, as configuration gives it (wiring/redis-config.ts), and the ioredis options
// each kind of connection is made with: one URL, a Sentinel group or a Cluster, with TLS.
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { withoutCredentials } from '../without-credentials.ts';

export interface HostAndPort {
  host: string;
  port: number;
}

export interface RedisTls {
  /** The private CA's certificates (PEM), when the server's is not signed by a public one. */
  ca?: string;
  /** The name the certificate must carry, when it is reached by address or a shared endpoint. */
  servername?: string;
}

export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: HostAndPort[]; masterName: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: HostAndPort[] };

export interface RedisSettings {
  topology: RedisTopology;
  /** For Sentinel and Cluster (a single URL carries its own). */
  username?: string;
  password?: string;
  tls?: RedisTls;
  /** Any one command answers within this, or fails as "unavailable" and the socket is renewed. */
  commandTimeoutMs: number;
  /** How long an accepted request waits for a replica to have it (WAIT), when there are some. */
  waitTimeoutMs: number;
  /** False when nothing names a Redis: `ecat start` may then launch a private redis-server. */
  explicit: boolean;
  /** Where Redis is, for messages: never a password. */
  describe: string;
}

/** One URL and today's defaults: for the tests and tools that are handed a URL. */
export function singleUrl(url: string): RedisSettings {
  return {
    topology: { kind: 'single', url },
    ...(url.startsWith('rediss:') ? { tls: {} } : {}),
    commandTimeoutMs: 5000,
    waitTimeoutMs: 1000,
    explicit: true,
    describe: withoutCredentials(url),
  };
}

/** What every data-node connection shares: the login (Sentinel, Cluster) and TLS. */
function nodeOptions(settings: RedisSettings): RedisOptions {
  const { username, password, tls } = settings;
  return {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls: { ...tls } } : {}),
  };
}

/**
 * For connections whose commands do not go through onRedis (BullMQ's worker): a demoted primary
 * answers READONLY, so reconnect (Sentinel then names the new primary) and let BullMQ try again.
 */
export function reconnectOnReadonly(error: Error): 1 | false {
  return error.message.startsWith('READONLY') ? 1 : false;
}

/**
 * Options for one Redis (a URL) or a Sentinel-watched primary; `own` adds the connection kind's.
 * A single URL is passed to ioredis alongside these (it carries host, port, login and TLS).
 */
export function standaloneOptions(settings: RedisSettings, own: RedisOptions): RedisOptions {
  const { topology } = settings;
  const common: RedisOptions = { ...nodeOptions(settings), ...own };
  if (topology.kind !== 'sentinel') return common;
  return {
    ...common,
    sentinels: topology.sentinels,
    name: topology.masterName,
    ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
    // The sentinels are reached as the data nodes are: over TLS when they are.
    ...(settings.tls ? { enableTLSForSentinelMode: true, sentinelTLS: { ...settings.tls } } : {}),
    // Told of a failover by the sentinels at once, rather than at the next failed command.
    failoverDetector: true,
  };
}

export function clusterOptions(settings: RedisSettings, own: RedisOptions): ClusterOptions {
  return {
    redisOptions: { ...nodeOptions(settings), ...own },
    // Managed clusters are reached by name, and their certificates name it: connect by the name
    // as given rather than an address resolved beforehand (ElastiCache's advice for TLS).
    dnsLookup: (address, callback) => {
      callback(null, address);
    },
    // Every key is in one slot, on one primary: reads from it too, never from a lagging replica.
    scaleReads: 'master',
    enableOfflineQueue: own.enableOfflineQueue ?? true,
    lazyConnect: own.lazyConnect ?? false,
  };
}
