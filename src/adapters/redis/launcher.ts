// Redis by default: when REDIS_URL is unset and nothing answers on 127.0.0.1:6379, `ecat start`
// runs a private redis-server with append-only persistence under var/redis/, and stops it on exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { EcatError } from '../../domain/errors.ts';

/** True when a Redis answers PING on the port (an error reply such as NOAUTH is a Redis too). */
export function answersOn(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      finish(false);
    });
    socket.once('error', () => {
      finish(false);
    });
    socket.connect(port, host, () => {
      socket.write('PING\r\n');
      socket.once('data', (data) => {
        finish(/^[+-]/.test(data.toString()));
      });
    });
  });
}

/** No Redis can be had: the message is one line naming the ways to get one. */
export class NoRedisError extends EcatError {
  override readonly name = 'NoRedisError';
  override readonly kind = 'unavailable';
  /** Someone has to install, start or point at a Redis first. */
  override readonly retryable = false;
}

export interface PrivateRedis {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Where the append-only files and redis.log go. */
  dataDir?: string;
  port?: number;
  /** The redis-server executable, looked up on PATH. */
  binary?: string;
}

function runs(binary: string): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const { dataDir = 'var/redis', port = 6379, binary = 'redis-server' } = options;
  if (!runs(binary)) {
    throw new NoRedisError(
      `no Redis answers on 127.0.0.1:${port} and ${binary} is not installed: run \`docker compose up -d redis\`, or install redis-server (e.g. \`apt-get install redis-server\`), or set REDIS_URL`,
    );
  }
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  // noeviction: BullMQ's keys must never be evicted (LIBRARIES.md). AOF only, no RDB snapshots.
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      'redis.log',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      done();
    });
    child.once('error', () => {
      done();
    });
  });
  for (let waited = 0; waited < 5000; waited += 100) {
    if (child.exitCode !== null) break;
    if (await answersOn(port)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        dataDir: dir,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new NoRedisError(`redis-server did not start; see ${join(dir, 'redis.log')}`);
}
