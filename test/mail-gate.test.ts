// The mail gate on the real Redis: a connection cap and a sliding rate window shared by every
// worker, each step one Lua script. Waits are read from what the gate asked to sleep, not timed.
import { afterAll, describe, expect, it } from 'vitest';
import { connectCommandRedis } from '../src/adapters/redis/connection.ts';
import {
  createMailGate,
  mailGateKeys,
  type MailGate,
  type MailLimits,
} from '../src/adapters/redis/mail-gate/mail-gate.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/ecat.ts';

const redis = await connectCommandRedis(REDIS_URL);
const prefixes: string[] = [];

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
  redis.disconnect();
});

/** A gate on a fresh prefix, recording every wait it asks for (and waiting it out for real). */
function gateWith(limits: MailLimits, leaseMs?: number) {
  const prefix = uniquePrefix('gate');
  prefixes.push(prefix);
  const waits: number[] = [];
  const gate = createMailGate(redis, prefix, limits, {
    async sleep(ms) {
      waits.push(ms);
      await sleep(ms);
    },
    ...(leaseMs === undefined ? {} : { leaseMs }),
  });
  return { gate, waits, keys: mailGateKeys(prefix) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks for a slot in the background and shows it comes only once `free` has run, not before. */
async function expectTakenOnlyAfter(gate: MailGate, holdMs: number, free: () => Promise<void>) {
  const events: string[] = [];
  const next = gate.take().then((slot) => {
    events.push('taken');
    return slot;
  });
  await sleep(holdMs);
  expect(events).toEqual([]);
  events.push('freed');
  await free();
  const slot = await next;
  expect(events).toEqual(['freed', 'taken']);
  return slot;
}

describe('the mail gate', () => {
  it('holds a connection slot per email until its connection is released', async () => {
    const { gate, keys } = gateWith({ maxConnections: 2, perWindow: 0, windowMs: 1000 });
    const first = await gate.take();
    const second = await gate.take();
    // Finishing the send is not enough: the connection is still open until it closes.
    await first.finished();
    const slot = await expectTakenOnlyAfter(gate, 150, async () => {
      expect(await redis.zcard(keys.connections)).toBe(2);
      await first.release();
    });
    await Promise.all([second.release(), slot.release()]);
    expect(await redis.zcard(keys.connections)).toBe(0);
  });

  it('lets no more than the limit through in any window, counting from when each send ended', async () => {
    const { gate, waits, keys } = gateWith({ maxConnections: 10, perWindow: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i += 1) {
      const slot = await gate.take();
      await slot.finished();
      await slot.release();
    }
    expect(waits).toEqual([]);
    const fourth = await gate.take();
    // It waited for the first send to leave the window: most of a second, asked for exactly.
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toBeGreaterThan(800);
    expect(waits[0]).toBeLessThanOrEqual(1000);
    await fourth.finished();
    await fourth.release();
    expect(await redis.zcard(keys.sends)).toBeLessThanOrEqual(3);
  });

  it('counts a send still under way in the window until it finishes', async () => {
    const { gate, waits } = gateWith({ maxConnections: 10, perWindow: 1, windowMs: 200 });
    const slow = await gate.take();
    // Long past the window since the slow send started: it still holds the window, being open.
    const slot = await expectTakenOnlyAfter(gate, 400, async () => {
      await slow.finished();
      await slow.release();
    });
    // While the slow send ran the gate polled; once it had finished it asked for the window's rest.
    expect(waits.some((ms) => ms > 100)).toBe(true);
    await slot.finished();
    await slot.release();
  });

  it('frees the slot of a worker that died holding it, when its lease runs out', async () => {
    const { gate, keys } = gateWith({ maxConnections: 1, perWindow: 0, windowMs: 1000 });
    // What a worker killed mid-send leaves behind: a slot nobody renews, its lease about to end.
    const [seconds, micros] = await redis.time();
    const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await redis.zadd(keys.connections, String(redisNow + 300), 'killed-worker');
    const slot = await gate.take();
    expect(await redis.zrange(keys.connections, '0', '-1')).not.toContain('killed-worker');
    await slot.release();
  });

  it('keeps renewing the lease of a connection still open, so nobody takes its slot', async () => {
    const { gate } = gateWith({ maxConnections: 1, perWindow: 0, windowMs: 1000 }, 300);
    const open = await gate.take();
    // Three leases' worth: without renewal the slot would have expired twice over.
    const slot = await expectTakenOnlyAfter(gate, 900, () => open.release());
    await slot.release();
  });
});
