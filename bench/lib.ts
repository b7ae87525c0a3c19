// Shared pieces of the benchmark: a private key prefix, an SMTP sink that accepts without
// parsing, timing, and the results table.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export function benchPrefix(name: string): string {
  return `ecat-bench-${name}-${randomUUID().slice(0, 8)}`;
}

export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

export interface SmtpCounter {
  url: string;
  count: () => number;
  /** `performance.now()` of each message's arrival, in order. */
  arrivals: () => readonly number[];
  close: () => Promise<void>;
}

/** An SMTP server that accepts every message and only counts it, noting when each arrived. */
export async function smtpCounter(): Promise<SmtpCounter> {
  let count = 0;
  const arrivals: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        count += 1;
        arrivals.push(performance.now());
        callback();
      });
    },
  });
  // A client killed mid-session resets its connection: expected here, not a test failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () => count,
    arrivals: () => arrivals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Messages per second from the first arrival to the last of `arrivals[from..from+n)`: steady
 * throughput, leaving out the one-off start (connections, script loading) on either side.
 */
export function steadyRate(arrivals: readonly number[], from: number, n: number): number {
  const first = arrivals[from]!;
  const last = arrivals[from + n - 1]!;
  return (n - 1) / ((last - first) / 1000);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

export interface Figure {
  figure: string;
  ecat: string;
  baseline: string;
  ratio: number | undefined;
  target: string;
  met: boolean | undefined;
  note?: string;
}

export function printTable(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.figure,
    f.ecat,
    f.baseline,
    f.ratio === undefined ? '–' : `${f.ratio.toFixed(2)}×`,
    f.target,
    f.met === undefined ? (f.note ?? 'not measured') : f.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'ecat', 'baseline (same run)', 'ratio', 'target', 'result'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  return lines.join('\n');
}
