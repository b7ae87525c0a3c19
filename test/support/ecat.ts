// Test harness: a unique Redis key prefix per test file (cleaned up), configuration built from
// explicit variables, valid request bodies, and the CLI run in-process with captured output.
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { runCli } from '../../src/adapters/cli/main.ts';
import type { CliIo } from '../../src/adapters/cli/io.ts';
import { loadConfig, type Config } from '../../src/wiring/config.ts';
import { submitRequest } from '../../src/use-cases/submit.ts';
import { addDays, londonDate } from '../../src/domain/dates.ts';
import type { Runtime } from '../../src/wiring/runtime.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export function uniquePrefix(name: string): string {
  return `ecat-test-${name}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under the prefix (SCAN, never KEYS, so a shared Redis is not blocked). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function countKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    let count = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      count += keys.length;
      cursor = next;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

export function testEnv(
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  // No mail limits unless a test sets them: 30 a minute would stretch every test that sends, and
  // a worker killed mid-send holds its connection slot until the lease runs out.
  return {
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    MAIL_RATE_LIMIT: '0',
    MAIL_MAX_CONNECTIONS: '100',
    // Any free port: test files run side by side, each with workers of its own.
    WORKER_PORT: '0',
    ...extra,
  };
}

export function testConfig(prefix: string, extra: Record<string, string> = {}): Config {
  return loadConfig(testEnv(prefix, extra));
}

/** The service a valid request names; it is CareConnect-configured in config/directory.json. */
export const VALID_SERVICE = {
  dosServiceId: '2000072489',
  environment: 'INT',
  endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
  odsCode: 'Y02494',
} as const;

/** Who asks, in a valid request. */
export const VALID_REQUESTER = { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' } as const;

/** A valid request body; the default service is CareConnect-configured in config/directory.json. */
export function requestBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...VALID_SERVICE,
    serviceName: 'Example Urgent Treatment Centre',
    requester: { ...VALID_REQUESTER },
    ...overrides,
  };
}

/** A clock stopped at one instant, for `openRuntime(config, { now })` and `testDatesIn`. */
export function fixedClock(instant: string): () => Date {
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) throw new Error(`not an instant: ${instant}`);
  return () => new Date(at);
}

/**
 * Test dates `days` calendar days after today in London, today as the clock says (the real one
 * unless given): pass the same clock to the runtime and the urgency is exact.
 */
export function testDatesIn(
  days: number,
  now: () => Date = () => new Date(),
  lastDays?: number,
): { from: string; to?: string } {
  const today = londonDate(now());
  return {
    from: addDays(today, days),
    ...(lastDays === undefined ? {} : { to: addDays(today, days + lastDays) }),
  };
}

/** Accepts `count` requests with consecutive service IDs from `base`; throws on any refusal. */
export async function acceptMany(runtime: Runtime, count: number, base: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const result = await submitRequest(
      requestBody({ dosServiceId: String(base + i) }),
      runtime.intakeDeps('test'),
    );
    if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
    ids.push(result.id);
  }
  return ids;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function ecat(
  args: string[],
  env: Record<string, string>,
  stdin = '',
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const io: CliIo = {
    stdin: Readable.from([stdin]),
    stdout,
    stderr,
    env,
    waitForStop: () => new Promise(() => undefined),
    isTTY: false,
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
