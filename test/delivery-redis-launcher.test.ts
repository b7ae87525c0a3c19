// Redis by default (issue 3, item 6): the private redis-server `ecat start` runs when none is
// configured or answering — append-only data where asked, stopped on exit — and the one line
// printed when there is no redis-server to run.
import { Redis } from 'ioredis';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answersOn, NoRedisError, startPrivateRedis } from '../src/adapters/redis/launcher.ts';
import { freePort } from './support/redis-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ecat-private-redis-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the private Redis', () => {
  it('starts with append-only persistence under its data directory and stops', async () => {
    const dataDir = join(await tempDir(), 'var', 'redis');
    const port = await freePort();
    const redis = await startPrivateRedis({ dataDir, port });
    cleanups.push(() => redis.stop());
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);

    const client = new Redis(redis.url);
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
      await client.set('ecat-launcher-test', 'kept');
    } finally {
      client.disconnect();
    }
    await redis.stop();
    expect(await answersOn(port)).toBe(false);
    const files = await readdir(dataDir);
    expect(files).toContain('redis.log');
    expect(files.some((name) => name.startsWith('appendonly'))).toBe(true);
  });

  it('without a redis-server to run, says in one line how to get Redis', async () => {
    const attempt = startPrivateRedis({
      dataDir: await tempDir(),
      port: await freePort(),
      binary: 'ecat-no-such-redis-server',
    });
    await expect(attempt).rejects.toBeInstanceOf(NoRedisError);
    const message = await attempt.catch((error: unknown) => (error as Error).message);
    expect(message).not.toContain('\n');
    expect(message).toContain('docker compose up -d redis');
    expect(message).toMatch(/install redis-server/);
  });
});

describe('answersOn', () => {
  async function listen(reply: string): Promise<number> {
    const server: Server = createServer((socket) => socket.once('data', () => socket.end(reply)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  it('counts a Redis that wants a password as a Redis, and nothing else', async () => {
    expect(await answersOn(await listen('+PONG\r\n'))).toBe(true);
    expect(await answersOn(await listen('-NOAUTH Authentication required.\r\n'))).toBe(true);
    expect(await answersOn(await listen('HTTP/1.1 400 Bad Request\r\n\r\n'))).toBe(false);
    expect(await answersOn(await freePort())).toBe(false);
  });
});
