// The secret every instance signs with when none is configured: created once in Redis (SET NX), so
// a page served by one process posts to another and a link made by the worker opens on the web.
import { randomBytes } from 'node:crypto';
import { onRedis, type Redis } from './connection.ts';

export async function sharedSecret(redis: Redis, prefix: string): Promise<Buffer> {
  const key = `${prefix}:signing-secret`;
  return onRedis(redis, async () => {
    await redis.set(key, randomBytes(32).toString('base64'), 'NX');
    const stored = await redis.get(key);
    if (stored === null) throw new Error(`${key} vanished as it was created`);
    return Buffer.from(stored, 'base64');
  });
}
