// Redis by default: when REDIS_URL is unset and nothing answers on 127.0.0.1:6379, `ecat start`
// runs a private redis-server with append-only persistence under var/redis/, and stops it on exit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { Socket } from 'node:net';
import { resolve } from 'node:path';

export function answersOn(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.connect(port, host, () => {
      socket.write('PING\r\n');
      socket.once('data', (data) => finish(data.toString().startsWith('+PONG')));
    });
  });
}

export class NoRedisError extends Error {
  override readonly name = 'NoRedisError';
}

export interface PrivateRedis {
  stop(): Promise<void>;
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startPrivateRedis(dataDir = 'var/redis', port = 6379): Promise<PrivateRedis> {
  if (!hasRedisServer()) {
    throw new NoRedisError(
      'no Redis answers on 127.0.0.1:6379 and redis-server is not installed: run `docker compose up -d redis`, or install redis-server (e.g. `apt-get install redis-server`), or set REDIS_URL',
    );
  }
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
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
  for (let waited = 0; waited < 5000; waited += 100) {
    if (await answersOn(port)) {
      return {
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new NoRedisError(`redis-server did not start; see ${dir}/redis.log`);
}
