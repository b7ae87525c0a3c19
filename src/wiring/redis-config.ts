// Where Redis is and how to reach it (README "Running on managed Redis"): one URL (today's), a
// Sentinel group, or a Cluster; TLS with a private CA and a name to check the certificate against;
// how long any command may take; how long an accepted request waits for a replica.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import { withoutCredentials } from '../adapters/without-credentials.ts';
import { optionalText, optionalUrl, wholeNumber } from './env-fields.ts';
import type {
  HostAndPort,
  RedisSettings,
  RedisTls,
  RedisTopology,
} from '../adapters/redis/settings.ts';

export const redisEnv = {
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  REDIS_SENTINELS: optionalText,
  REDIS_SENTINEL_MASTER: optionalText,
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_CLUSTER_NODES: optionalText,
  REDIS_USERNAME: optionalText,
  REDIS_PASSWORD: optionalText,
  REDIS_TLS: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.enum(['on', 'off'], "must be 'on' or 'off'").optional(),
  ),
  REDIS_TLS_CA_FILE: optionalText,
  REDIS_TLS_SERVERNAME: optionalText,
  REDIS_COMMAND_TIMEOUT_MS: wholeNumber(5000, 100, 120_000),
  REDIS_WAIT_TIMEOUT_MS: wholeNumber(1000, 10, 60_000),
};

type RedisEnv = z.infer<z.ZodObject<typeof redisEnv>>;

/** Never printed with a configuration error. */
export const REDIS_SECRETS = ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'];

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** `host:port, host:port` as Redis's addresses; one line naming the variable if not. */
function addresses(variable: string, text: string): HostAndPort[] {
  return text.split(',').map((entry) => {
    const match = /^\s*(\[[^\]]+\]|[^\s:]+):(\d{1,5})\s*$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65_535) {
      throw new ConfigError(
        `${variable} must be host:port, comma-separated (got '${entry.trim()}')`,
      );
    }
    return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
  });
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`REDIS_TLS_CA_FILE: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  }
}

function topologyOf(e: RedisEnv): RedisTopology {
  const named = [
    e.REDIS_URL && 'REDIS_URL',
    e.REDIS_SENTINELS && 'REDIS_SENTINELS',
    e.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES',
  ].filter(Boolean);
  if (named.length > 1) {
    throw new ConfigError(`set one of ${named.join(' and ')}: they name different kinds of Redis`);
  }
  if (e.REDIS_SENTINELS) {
    if (!e.REDIS_SENTINEL_MASTER) {
      throw new ConfigError('REDIS_SENTINEL_MASTER must name the primary the sentinels watch');
    }
    return {
      kind: 'sentinel',
      sentinels: addresses('REDIS_SENTINELS', e.REDIS_SENTINELS),
      masterName: e.REDIS_SENTINEL_MASTER,
      ...(e.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: e.REDIS_SENTINEL_PASSWORD } : {}),
    };
  }
  if (e.REDIS_CLUSTER_NODES) {
    return { kind: 'cluster', nodes: addresses('REDIS_CLUSTER_NODES', e.REDIS_CLUSTER_NODES) };
  }
  return { kind: 'single', url: e.REDIS_URL ?? DEFAULT_URL };
}

function describeTopology(topology: RedisTopology, tls: boolean): string {
  const list = (nodes: HostAndPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (topology.kind) {
    case 'single':
      return withoutCredentials(topology.url);
    case 'sentinel':
      return `sentinel ${topology.masterName} via ${list(topology.sentinels)}${tls ? ' (TLS)' : ''}`;
    case 'cluster':
      return `cluster via ${list(topology.nodes)}${tls ? ' (TLS)' : ''}`;
  }
}

export function redisSettings(e: RedisEnv, queuePrefix: string): RedisSettings {
  const topology = topologyOf(e);
  // WAIT runs on the command connection: it must end before that connection's timeout does.
  if (e.REDIS_WAIT_TIMEOUT_MS >= e.REDIS_COMMAND_TIMEOUT_MS) {
    throw new ConfigError(
      `REDIS_WAIT_TIMEOUT_MS must be less than REDIS_COMMAND_TIMEOUT_MS (${e.REDIS_COMMAND_TIMEOUT_MS})`,
    );
  }
  if (topology.kind === 'single' && (e.REDIS_USERNAME || e.REDIS_PASSWORD)) {
    throw new ConfigError(
      'REDIS_USERNAME and REDIS_PASSWORD are for Sentinel and Cluster: put them in REDIS_URL (redis://user:password@host:port)',
    );
  }
  // Cluster keys must share one slot: BullMQ's and ecat's scripts touch several keys at once.
  if (topology.kind === 'cluster' && !/^\{[^{}]+\}$/.test(queuePrefix)) {
    throw new ConfigError(
      `QUEUE_PREFIX must be a hash tag in Cluster mode, such as '{${queuePrefix.replace(/[{}]/g, '')}}', so every key shares one slot (\`ecat migrate-keys\` moves existing keys)`,
    );
  }
  const tlsOn =
    e.REDIS_TLS === 'on' ||
    (e.REDIS_TLS === undefined && topology.kind === 'single' && topology.url.startsWith('rediss:'));
  if (topology.kind === 'single' && e.REDIS_TLS === 'off' && topology.url.startsWith('rediss:')) {
    throw new ConfigError("REDIS_TLS is 'off' but REDIS_URL starts rediss://: choose one");
  }
  if (!tlsOn && (e.REDIS_TLS_CA_FILE || e.REDIS_TLS_SERVERNAME)) {
    throw new ConfigError(
      'REDIS_TLS_CA_FILE and REDIS_TLS_SERVERNAME need TLS: a rediss:// URL, or REDIS_TLS=on',
    );
  }
  const tls: RedisTls | undefined = tlsOn
    ? {
        ...(e.REDIS_TLS_CA_FILE ? { ca: readCa(e.REDIS_TLS_CA_FILE) } : {}),
        ...(e.REDIS_TLS_SERVERNAME ? { servername: e.REDIS_TLS_SERVERNAME } : {}),
      }
    : undefined;
  return {
    topology,
    ...(e.REDIS_USERNAME ? { username: e.REDIS_USERNAME } : {}),
    ...(e.REDIS_PASSWORD ? { password: e.REDIS_PASSWORD } : {}),
    ...(tls ? { tls } : {}),
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    waitTimeoutMs: e.REDIS_WAIT_TIMEOUT_MS,
    explicit: Boolean(e.REDIS_URL ?? e.REDIS_SENTINELS ?? e.REDIS_CLUSTER_NODES),
    describe: describeTopology(topology, tlsOn),
  };
}
