import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { submitRequest } from '../src/use-cases/submit.ts';
import {
  openRuntime,
  startWorker,
  type RunningWorker,
  type Runtime,
} from '../src/wiring/runtime.ts';
import { deletePrefix, requestBody, testConfig, uniquePrefix } from './support/ecat.ts';
import {
  dosSearchAdapter,
  dosState,
  useDosSearchStandIn,
  type ForcedAnswer,
} from './support/dos-directory.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

let sink: SmtpSink;
let runtime: Runtime;
let worker: RunningWorker | undefined;
const prefix = uniquePrefix('faults');

beforeAll(async () => {
  sink = await startSmtpSink();
  runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url }), {
    retry: { attempts: 4, backoffMs: 50 },
  });
});
afterEach(async () => {
  await worker?.stop(5000);
  worker = undefined;
  sink.answer = () => ({ kind: 'accept' });
});
afterAll(async () => {
  await runtime.close();
  await sink.close();
  await deletePrefix(prefix);
});

async function sendOne(dosServiceId: string) {
  const result = await submitRequest(requestBody({ dosServiceId }), runtime.intakeDeps('test'));
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  worker ??= startWorker(runtime, pino({ level: 'silent' }));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const record = await runtime.store.get(result.id);
    if (record && (record.status === 'sent' || record.status === 'failed')) return record;
    if (Date.now() > deadline) throw new Error(`still ${record?.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SMTP faults', () => {
  it('a connection dropped mid-DATA is retried and then sent', async () => {
    let dropped = false;
    sink.answer = () => {
      if (dropped) return { kind: 'accept' };
      dropped = true;
      return { kind: 'drop' };
    };
    const record = await sendOne('8500000001');
    expect(record.status).toBe('sent');
    expect(record.history.map((entry) => entry.event)).toEqual(['queued', 'retry', 'sent']);
  });

  it('a 421 is retried and then sent', async () => {
    let refused = false;
    sink.answer = () => {
      if (refused) return { kind: 'accept' };
      refused = true;
      return { kind: 'refuse', code: 421, message: 'Service not available, closing channel' };
    };
    const record = await sendOne('8500000002');
    expect(record.status).toBe('sent');
    expect(record.history[1]?.reason).toMatch(/421/);
  });

  it('a 552 fails at once with its reason', async () => {
    sink.answer = () => ({
      kind: 'refuse',
      code: 552,
      message: 'Message size exceeds fixed maximum',
    });
    const record = await sendOne('8500000003');
    expect(record.status).toBe('failed');
    expect(record.history.at(-1)?.reason).toMatch(/552.*Message size exceeds/);
    expect(record.history.filter((entry) => entry.event === 'retry')).toEqual([]);
  });
});

describe('directory faults during intake', () => {
  // The strict DoS Search stand-in: only what the published API takes gets past it.
  const dos = dosState();
  useDosSearchStandIn(dos);

  const TIMEOUT_MS = 500;
  /** What the adapter said when it gave the lookup up. */
  const givenUp: Record<string, unknown>[] = [];
  const intakeWith = () => ({
    ...runtime.intakeDeps('test'),
    directory: dosSearchAdapter({
      timeoutMs: TIMEOUT_MS,
      credentials: 'test-token',
      log: { warn: (fields, message) => givenUp.push({ ...fields, message }) },
    }),
  });
  let service = 8_600_000_000;
  // "Within the timeout" as events, not wall time: the adapter gives the lookup up, for the
  // expected reason, after at most one request and its two retries (with one X-Request-ID). How
  // many retries of a 429 fit in the budget depends on the machine's speed: only the cap is exact.
  const GIVES_UP: Record<string, { reason: RegExp; most: number }> = {
    hangs: { reason: /^no answer in time$/, most: 1 },
    'answers 429': { reason: /^HTTP 429$/, most: 3 },
    'answers garbage JSON': { reason: /^the answer was not JSON$/, most: 1 },
  };

  it.each<[string, ForcedAnswer]>([
    ['hangs', 'hang'],
    ['answers 429', { status: 429 }],
    ['answers garbage JSON', { status: 200, text: '{"resourceType":' }],
  ])('accepts as unverified, within the timeout, when the directory %s', async (name, answer) => {
    dos.respond = () => answer;
    givenUp.length = 0;
    const result = await submitRequest(
      requestBody({ dosServiceId: String((service += 1)) }),
      intakeWith(),
    );
    expect(result.outcome).toBe('accepted');
    if (result.outcome !== 'accepted') return;
    expect(result.careConnect.status).toBe('unverified');
    expect(result.careConnect.final).toBeUndefined();
    expect(result.warnings.join(' ')).toMatch(/checked again before the email is sent/);
    const { reason, most } = GIVES_UP[name]!;
    expect(givenUp).toEqual([
      expect.objectContaining({
        message: 'DoS Search did not answer',
        reason: expect.stringMatching(reason) as unknown,
      }),
    ]);
    const attempts = givenUp[0]!.attempts as number;
    expect(attempts).toBeLessThanOrEqual(most);
    expect(dos.seen).toHaveLength(attempts);
    expect(new Set(dos.seen.map((request) => request.headers['x-request-id'])).size).toBe(1);
    expect(dos.seen.length).toBeGreaterThan(0);
    for (const request of dos.seen) {
      expect(request.url.pathname).toBe('/dos-search/FHIR/R4/Organization');
    }
  });
});
