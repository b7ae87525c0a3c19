// A private redis-server for tests that stop, kill and restart Redis: its own port and data
// directory, append-only persistence, removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersOn } from '../../src/adapters/redis/launcher.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  remove(): Promise<void>;
}

export async function createTestRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ecat-redis-'));
  let child: ChildProcess | undefined;
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(
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
          '--appendfsync',
          'always',
          '--save',
          '',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: 'ignore' },
      );
      for (let waited = 0; waited < 10_000; waited += 50) {
        if (await answersOn(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the test redis-server did not start');
    },
    async stop(signal) {
      const running = child;
      if (!running || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => {
          resolve();
        });
        running.kill(signal);
      });
    },
    async remove() {
      await redis.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
  return redis;
}
