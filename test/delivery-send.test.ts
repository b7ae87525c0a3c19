// Sending through a real SMTP server on loopback: what arrives, and what the history says for
// accepted, refused (5xx), deferred (4xx) and exhausted sends, and for cancelled requests.
import type { Bundle, HealthcareService } from 'fhir/r4.js';
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixedClock, requestBody, testDatesIn } from './support/ecat.ts';
import { until, useDelivery } from './support/delivery.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const delivery = useDelivery();

describe('sending a request', () => {
  it('reaches the mail server with the contract headers, parts and attachment; queued then sent', async () => {
    // Tuesday 1 December 2026, 10:00 in London: test dates on Friday are 3 working days away.
    const now = fixedClock('2026-12-01T10:00:00Z');
    const runtime = await delivery.runtime('deliver', {
      now,
      env: { MAIL_FROM: 'ecat <ecat@example.nhs.uk>' },
    });
    const id = await delivery.accept(
      runtime,
      requestBody({ testDates: testDatesIn(3, now, 1), supplier: 'Example Supplier Ltd' }),
    );
    delivery.worker(runtime);
    const [mail] = await delivery.sink.waitForMessages(1);
    const record = await delivery.waitForStatus(runtime, id, 'sent');

    expect(record.history.map((entry) => [entry.event, entry.status, entry.at])).toEqual([
      ['queued', 'queued', '2026-12-01T10:00:00.000Z'],
      ['sent', 'sent', '2026-12-01T10:00:00.000Z'],
    ]);
    expect(record.history[1]?.reason).toMatch(/^accepted by the mail server: 250/);
    expect(record.history[1]?.details).toMatchObject({
      messageId: record.messageId,
      response: expect.stringMatching(/^250/) as unknown,
      attempt: 1,
    });

    expect(mail?.messageId).toBe(record.messageId);
    expect(mail?.subject).toBe(
      '[URGENT] BaRS Endpoint Catalogue: add DoS service 2000072489 (INT) – Example Urgent Treatment Centre',
    );
    expect(mail?.from?.value).toEqual([{ address: 'ecat@example.nhs.uk', name: 'ecat' }]);
    expect(mail?.to).toMatchObject({
      value: [{ address: 'england.bookingandreferralstandard@nhs.net' }],
    });
    expect(mail?.cc).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(mail?.replyTo).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(mail?.headers.get('priority')).toBe('high');
    expect(mail?.headers.get('x-ecat-request-id')).toBe(id);
    for (const part of [mail?.text ?? '', mail?.html ?? '']) {
      expect(part).toContain('2000072489');
      expect(part).toContain('Y02494');
      expect(part).toContain('https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4');
      expect(part).toContain('Friday 4 December 2026');
      expect(part).toContain('3 working days');
      expect(part).toContain('ASID:918999198993');
      expect(part).toContain('alex.morgan@nhs.net');
      expect(part).toContain(id);
    }
    const attachment = mail?.attachments[0];
    expect(attachment?.filename).toBe('endpoint-2000072489-INT.json');
    expect(attachment?.contentType).toBe('application/fhir+json');
    // The catalogue entry as a FHIR R4 Bundle (collection); test/catalogue-bundle.test.ts checks it
    // against the R4 schema.
    const bundle = JSON.parse(attachment?.content.toString('utf8') ?? '{}') as Bundle;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const resources = (bundle.entry ?? []).map((entry) => entry.resource);
    expect(resources.map((resource) => resource?.resourceType)).toEqual([
      'Organization',
      'HealthcareService',
      'Endpoint',
    ]);
    expect(resources[2]).toMatchObject({
      resourceType: 'Endpoint',
      // As parsed and written back out (host in lower case): the same text as the email's.
      address: 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    });
    expect((resources[1] as HealthcareService).identifier).toContainEqual({
      system: 'https://fhir.nhs.uk/Id/dos-service-id',
      value: '2000072489',
    });
  });

  it('fails a 550 at once, with the code and the server text in the history', async () => {
    const runtime = await delivery.runtime('refused');
    delivery.sink.answer = () => ({ kind: 'refuse', code: 550, message: 'Mailbox unavailable' });
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'failed');
    expect(record.history.map((entry) => entry.event)).toEqual(['queued', 'failed']);
    expect(record.history[1]?.reason).toMatch(/550.*Mailbox unavailable/);
    expect(record.history[1]?.details).toMatchObject({ responseCode: 550, attempt: 1 });
    // The worker records `failed` before BullMQ files the job: wait for the job's side too.
    await until(
      async () => (await runtime.queue.getJob(`send-${id}`))?.finishedOn !== undefined,
      15_000,
      'the send job to be filed as failed',
    );
    const job = await runtime.queue.getJob(`send-${id}`);
    expect(await job?.getState()).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    expect(delivery.sink.attempts).toBe(1);
  });

  it('retries a 451 twice and is sent on the third attempt, with the same Message-ID', async () => {
    const runtime = await delivery.runtime('deferred');
    delivery.sink.answer = (attempt) =>
      attempt <= 2 ? { kind: 'refuse', code: 451, message: 'Try again later' } : { kind: 'accept' };
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(delivery.sink.attempts).toBe(3);
    expect(record.history.map((entry) => entry.event)).toEqual([
      'queued',
      'retry',
      'retry',
      'sent',
    ]);
    expect(record.history[1]?.reason).toMatch(/451/);
    expect(record.history[3]?.details).toMatchObject({ attempt: 3 });
    expect(delivery.sink.messages.map((mail) => mail.messageId)).toEqual([record.messageId]);
  });

  it('records failed when the retries run out', async () => {
    const runtime = await delivery.runtime('exhausted', { retry: { attempts: 3, backoffMs: 20 } });
    delivery.sink.answer = () => ({ kind: 'refuse', code: 421, message: 'Service not available' });
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'failed');
    expect(record.history.map((entry) => entry.event)).toEqual([
      'queued',
      'retry',
      'retry',
      'failed',
    ]);
    expect(record.history[3]?.reason).toMatch(/retries exhausted after 3 attempts.*421/);
    expect(delivery.sink.attempts).toBe(3);
  });

  it('never sends a request cancelled before its turn', async () => {
    const runtime = await delivery.runtime('cancel');
    const cancelled = await delivery.accept(runtime);
    const cancel = await runtime.store.transition(cancelled, 'cancelled', {
      actor: ACTORS.cli,
      event: 'cancelled',
      reason: 'test',
    });
    expect(cancel.ok).toBe(true);
    const other = await delivery.accept(runtime, requestBody({ dosServiceId: '2000011147' }));
    delivery.worker(runtime);
    await delivery.waitForStatus(runtime, other, 'sent');
    const job = await runtime.queue.getJob(`send-${cancelled}`);
    await expect.poll(() => job?.getState()).toBe('completed');
    expect(delivery.sentRequestIds()).toEqual([other]);
    expect((await delivery.record(runtime, cancelled)).history.map((e) => e.event)).toEqual([
      'queued',
      'cancelled',
    ]);
  });
});

describe('without SMTP_URL', () => {
  it('writes the email as an .eml file in the outbox and records where', async () => {
    const outbox = await mkdtemp(join(tmpdir(), 'ecat-outbox-'));
    try {
      const runtime = await delivery.runtime('outbox', {
        env: { SMTP_URL: '', OUTBOX_DIR: outbox },
      });
      const id = await delivery.accept(runtime);
      delivery.worker(runtime);
      const record = await delivery.waitForStatus(runtime, id, 'sent');
      const files = (await readdir(outbox)).filter((name) => name.endsWith('.eml'));
      expect(files).toHaveLength(1);
      const eml = await readFile(join(outbox, files[0]!), 'utf8');
      expect(eml).toContain(`Message-ID: ${record.messageId}`);
      expect(eml).toMatch(new RegExp(`^X-Ecat-Request-Id: ${id}\r?$`, 'im'));
      expect(record.history[1]?.reason).toContain(outbox);
      expect(delivery.sink.attempts).toBe(0);
    } finally {
      await rm(outbox, { recursive: true, force: true });
    }
  });
});
