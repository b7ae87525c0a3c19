// Shared pieces of the benchmark: a private key prefix, an SMTP sink that accepts without
// parsing the body, a server in a process of its own, timing, and the results table.
import { spawn } from 'node:child_process';
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
  /** `performance.now()` of the arrival of the message whose X-Ecat-Request-Id is `id`. */
  arrivalOf: (id: string) => number | undefined;
  close: () => Promise<void>;
}

const REQUEST_ID_HEADER = /^x-ecat-request-id:[ \t]*(\S+)/im;

/**
 * An SMTP server that accepts every message and only counts it, noting when each arrived and,
 * from its header block alone, the X-Ecat-Request-Id it carries.
 */
export async function smtpCounter(): Promise<SmtpCounter> {
  let count = 0;
  const arrivals: number[] = [];
  const byRequestId = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      // Only the header block is kept (it ends at the first empty line); the body is skipped.
      let head = '';
      let headDone = false;
      stream.on('data', (chunk: Buffer) => {
        if (headDone) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          head = head.slice(0, end);
          headDone = true;
        }
      });
      stream.on('end', () => {
        const at = performance.now();
        count += 1;
        arrivals.push(at);
        const id = REQUEST_ID_HEADER.exec(head.replace(/\r\n[ \t]+/g, ' '))?.[1];
        if (id !== undefined) byRequestId.set(id, at);
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
    arrivalOf: (id) => byRequestId.get(id),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Messages per second from the first arrival to the last of `arrivals[from..from+n)`: steady
 * throughput, leaving out the one-off start (connections, script loading) on either side.
 */
export function steadyRate(arrivals: readonly number[], from: number, n: number): number {
  const first = arrivals[from] ?? Number.NaN;
  const last = arrivals[from + n - 1] ?? Number.NaN;
  return (n - 1) / ((last - first) / 1000);
}

/** The q-th quantile (0–1) of the samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

export interface OwnProcessServer {
  /** The address it printed, e.g. http://127.0.0.1:41234. */
  address: string;
  /** Closes its stdin (it then closes its server and runtime) and waits for it to exit. */
  stop: () => Promise<void>;
}

/**
 * Starts `script` (a bench server: prints its address, serves until stdin closes) in a Node
 * process of its own, so the client timing it does not share its event loop.
 */
export async function serveInOwnProcess(
  script: string,
  env: Record<string, string>,
): Promise<OwnProcessServer> {
  const server = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const address = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (chunk: Buffer) => {
      resolve(chunk.toString().trim());
    });
    server.once('exit', (code) => {
      reject(new Error(`${script} exited ${code}`));
    });
  });
  return {
    address,
    stop: async () => {
      server.stdin.end();
      await exited;
    },
  };
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
