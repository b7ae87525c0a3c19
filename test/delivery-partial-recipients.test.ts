// The email goes To the BaRS mailbox with the requester in Cc: a real SMTP server on loopback
// refusing one recipient (RCPT TO) at a time. A refused copy leaves the request sent, with the
// refusal in its history; a refused BaRS mailbox fails it (5xx) or is retried (4xx).
import { describe, expect, it } from 'vitest';
import { chaserJobId } from '../src/adapters/queues/follow-up-jobs.ts';
import { ecat, requestBody, testEnv } from './support/ecat.ts';
import { until, useDelivery } from './support/delivery.ts';
import type { RecipientAnswer } from './support/smtp-sink.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';

const delivery = useDelivery();

const BARS = 'england.bookingandreferralstandard@nhs.net';
const REQUESTER = 'alex.morgan@nhs.net';

/** Refuses the given addresses with their answers and accepts every other one. */
function refuse(answers: Record<string, RecipientAnswer>) {
  delivery.sink.recipient = (address) => answers[address] ?? { kind: 'accept' };
}

/** What happened to a request, event by event. */
const events = (record: RequestRecord) => record.history.map((entry) => entry.event);

const REFUSED_BARS =
  'the mail server refused the email to england.bookingandreferralstandard@nhs.net: 550 5.1.1 No such mailbox';

/** Accepts a request on a fresh runtime, runs a worker, and waits for the request to fail. */
async function failedRequest(name: string) {
  const runtime = await delivery.runtime(name);
  const id = await delivery.accept(runtime);
  delivery.worker(runtime);
  const record = await delivery.waitForStatus(runtime, id, 'failed');
  expect(events(record)).toEqual(['queued', 'failed']);
  return { runtime, id, record };
}

describe('the requester’s copy refused', () => {
  it('is sent: the BaRS mailbox has the email, and the history names the refused copy and the reply', async () => {
    refuse({ [REQUESTER]: { kind: 'refuse', code: 550, message: '5.1.1 Mailbox unavailable' } });
    const runtime = await delivery.runtime('copy-refused');
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const [mail] = await delivery.sink.waitForMessages(1);
    const record = await delivery.waitForStatus(runtime, id, 'sent');

    expect(delivery.sink.recipientsOf(mail!)).toEqual([BARS]);
    expect(mail?.cc).toMatchObject({ value: [{ address: REQUESTER }] });
    expect(events(record)).toEqual(['queued', 'sent']);
    expect(record.history[1]?.reason).toMatch(
      /^accepted by the mail server: 250.*; the copy to alex\.morgan@nhs\.net was refused: 550 5\.1\.1 Mailbox unavailable$/,
    );
    expect(record.history[1]?.details).toMatchObject({ refusedCopies: REQUESTER, attempt: 1 });
    expect(delivery.sink.attempts).toBe(1);

    const shown = await ecat(['show', id], testEnv(runtime.config.queuePrefix));
    expect(shown.stdout).toMatch(/sent .*the copy to alex\.morgan@nhs\.net was refused: 550/);
  });

  it('keeps the reminder: the chaser’s history entry names the refused copy', async () => {
    let clock = new Date('2027-03-15T10:00:00Z'); // Monday; testing Wednesday 31 March
    const runtime = await delivery.runtime('chaser-copy-refused', { now: () => clock });
    const id = await delivery.accept(
      runtime,
      requestBody({ dosServiceId: '5000000001', testDates: { from: '2027-03-31' } }),
    );
    delivery.worker(runtime);
    await delivery.waitForStatus(runtime, id, 'sent');

    refuse({ [REQUESTER]: { kind: 'refuse', code: 550, message: '5.7.1 Not allowed' } });
    clock = new Date('2027-03-24T09:00:00Z');
    const job = await runtime.queue.getJob(chaserJobId(id));
    expect(job?.data).toMatchObject({ sendOn: '2027-03-24' });
    await job!.promote();
    await until(
      async () => (await delivery.record(runtime, id)).history.some((e) => e.event === 'chaser'),
      15_000,
      'the chaser',
    );

    const record = await delivery.record(runtime, id);
    expect(record.status).toBe('sent');
    const chaser = record.history.find((entry) => entry.event === 'chaser');
    expect(chaser?.reason).toMatch(
      /^reminder sent to the BaRS mailbox .*; the copy to alex\.morgan@nhs\.net was refused: 550 5\.7\.1 Not allowed$/,
    );
    expect(chaser?.details).toMatchObject({ refusedCopies: REQUESTER });
    const reminder = delivery.sink.messages.at(-1)!;
    expect(reminder.inReplyTo).toBe(record.messageId);
    expect(delivery.sink.recipientsOf(reminder)).toEqual([BARS]);
  });
});

describe('the BaRS mailbox refused', () => {
  it('fails a 550 at once, naming the refused address and the reply', async () => {
    refuse({ [BARS]: { kind: 'refuse', code: 550, message: '5.1.1 No such mailbox' } });
    const { runtime, id, record } = await failedRequest('to-refused');
    expect(record.history[1]?.reason).toBe(REFUSED_BARS);
    expect(record.history[1]?.details).toMatchObject({
      responseCode: 550,
      refused: BARS,
      attempt: 1,
    });
    // The record is marked before the job ends: wait for BullMQ to file the job as failed.
    await expect
      .poll(async () => (await runtime.queue.getJob(`send-${id}`))?.getState())
      .toBe('failed');
    expect((await runtime.queue.getJob(`send-${id}`))?.attemptsMade).toBe(1);
    // SMTP cannot take the message back from the accepted Cc: the requester has their copy.
    expect(delivery.sink.messages.map((mail) => delivery.sink.recipientsOf(mail))).toEqual([
      [REQUESTER],
    ]);
  });

  it('retries a 451, and is sent once the BaRS mailbox accepts', async () => {
    let deferrals = 0;
    delivery.sink.recipient = (address) =>
      address === BARS && deferrals++ < 2
        ? { kind: 'refuse', code: 451, message: '4.2.1 Mailbox busy, try later' }
        : { kind: 'accept' };
    const runtime = await delivery.runtime('to-deferred');
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');

    expect(events(record)).toEqual(['queued', 'retry', 'retry', 'sent']);
    expect(record.history[1]?.reason).toBe(
      'attempt 1 failed, will retry: the email could not be sent yet to england.bookingandreferralstandard@nhs.net: 451 4.2.1 Mailbox busy, try later',
    );
    expect(record.history[1]?.details).toMatchObject({ responseCode: 451, refused: BARS });
    expect(record.history[3]?.details).toMatchObject({ attempt: 3 });
    expect(record.history[3]?.details).not.toHaveProperty('refusedCopies');
    const last = delivery.sink.messages.at(-1)!;
    expect(last.messageId).toBe(record.messageId);
    expect(delivery.sink.recipientsOf(last)).toEqual([BARS, REQUESTER]);
  });

  it('judges a send with every recipient refused by the BaRS mailbox’s reply, not the copy’s', async () => {
    // nodemailer reports the deferred (451) copy for the whole envelope; the To's 550 decides.
    refuse({
      [BARS]: { kind: 'refuse', code: 550, message: '5.1.1 No such mailbox' },
      [REQUESTER]: { kind: 'refuse', code: 451, message: '4.2.1 Mailbox busy' },
    });
    const { record } = await failedRequest('all-refused');
    expect(record.history[1]?.reason).toBe(REFUSED_BARS);
    expect(delivery.sink.attempts).toBe(0);
  });
});
