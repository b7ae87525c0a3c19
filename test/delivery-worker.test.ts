// Workers that die or are told to stop: a worker SIGKILLed mid-send is taken over by another with
// at most one duplicate (same Message-ID); a job that stalls out is recorded failed; `ecat worker`
// finishes the send in hand on SIGTERM and exits 0.
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkAnswer } from './support/smtp-sink.ts';
import { testEnv } from './support/ecat.ts';
import { spawnEcat, spawnTestWorker, type Child } from './support/child-worker.ts';
import { useDelivery, until } from './support/delivery.ts';

const delivery = useDelivery();
const children: Child[] = [];
afterEach(() => {
  children.splice(0).forEach((child) => {
    child.kill();
  });
});

/** Short locks, so a killed worker's job is found stalled within a few seconds. */
const QUICK_TAKEOVER = { lockDurationMs: 2000, stalledIntervalMs: 1000 };

function workerProcess(prefix: string): Child {
  const child = spawnTestWorker(testEnv(prefix, { SMTP_URL: delivery.sink.url }));
  children.push(child);
  return child;
}

describe('a worker killed with SIGKILL mid-send', () => {
  it.each<[string, (kill: () => void) => SinkAnswer]>([
    // The case: the server holds the DATA reply, so the email was never accepted.
    ['while the server holds the DATA reply', () => ({ kind: 'hold' })],
    // The worst case: the server accepted the email, but the worker died before hearing so.
    [
      'just as the server accepts the email',
      (kill) => {
        kill();
        return { kind: 'accept' };
      },
    ],
  ])(
    '%s: a new worker delivers it, with at most one duplicate',
    async (_case, firstAnswer) => {
      const runtime = await delivery.runtime('sigkill');
      const id = await delivery.accept(runtime);
      // The answer may need to kill the worker that is not started yet.
      const victim: { child?: Child } = {};
      delivery.sink.answer = (attempt) =>
        attempt === 1
          ? firstAnswer(() => victim.child?.process.kill('SIGKILL'))
          : { kind: 'accept' };
      const child = (victim.child = workerProcess(runtime.config.queuePrefix));
      await until(() => delivery.sink.attempts >= 1, 20_000, 'the first DATA');
      child.process.kill('SIGKILL');
      await child.exit;

      delivery.worker(runtime, QUICK_TAKEOVER);
      const record = await delivery.waitForStatus(runtime, id, 'sent', 30_000);
      const messages = delivery.sink.messages;
      expect(messages.length).toBeGreaterThanOrEqual(1);
      expect(messages.length).toBeLessThanOrEqual(2);
      for (const mail of messages) expect(mail.messageId).toBe(record.messageId);
      expect(record.history.filter((entry) => entry.event === 'sent')).toHaveLength(1);
    },
    60_000,
  );

  it('records failed when the job stalls more often than allowed, instead of leaving it queued', async () => {
    const runtime = await delivery.runtime('stalled-out');
    const id = await delivery.accept(runtime);
    delivery.sink.answer = () => ({ kind: 'hold' });
    const child = workerProcess(runtime.config.queuePrefix);
    await until(() => delivery.sink.attempts >= 1, 20_000, 'the first DATA');
    child.process.kill('SIGKILL');
    await child.exit;

    delivery.worker(runtime, { ...QUICK_TAKEOVER, maxStalledCount: 0 });
    const record = await delivery.waitForStatus(runtime, id, 'failed', 30_000);
    expect(record.history.at(-1)).toMatchObject({
      event: 'failed',
      reason: expect.stringMatching(/stopped more often than allowed/) as unknown,
      details: { stalled: true },
    });
    expect(delivery.sink.messages).toHaveLength(0);
  }, 60_000);
});

describe('ecat worker', () => {
  it('on SIGTERM finishes the send in hand, records it, and exits 0', async () => {
    const runtime = await delivery.runtime('sigterm');
    const id = await delivery.accept(runtime);
    delivery.sink.answer = () => ({ kind: 'delay', ms: 1500 });
    const worker = spawnEcat(
      ['worker'],
      testEnv(runtime.config.queuePrefix, { SMTP_URL: delivery.sink.url, LOG_LEVEL: 'info' }),
    );
    children.push(worker);
    await until(() => delivery.sink.attempts >= 1, 20_000, 'the DATA');
    worker.process.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.output()).toContain('SIGTERM: finishing the job in hand');
    expect((await delivery.record(runtime, id)).status).toBe('sent');
    expect(delivery.sink.messages).toHaveLength(1);
    expect(await runtime.queue.getActiveCount()).toBe(0);
  }, 60_000);
});
