// A request accepted while the DoS directory was unreachable (CareConnect `unverified`) is checked
// again by the worker before its email goes: the directory is the DoS FHIR API, mocked with msw.
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SEND_UNVERIFIED_FROM_ATTEMPT } from '../src/queue/send-email.ts';
import { requestBody } from './support/ecat.ts';
import { useDelivery } from './support/delivery.ts';
import {
  DOS_BASE,
  dosDirectory,
  schedulingEndpoint,
  type DosDirectoryState,
} from './support/dos-directory.ts';

const delivery = useDelivery();
const directory: DosDirectoryState = { up: false, endpoints: [], requests: 0 };
const server = setupServer(...dosDirectory(directory));
const unhandled: string[] = [];
server.events.on('request:unhandled', ({ request }) => unhandled.push(request.url));

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  expect(unhandled).toEqual([]);
  Object.assign(directory, { up: false, endpoints: [], requests: 0 });
});
afterAll(() => server.close());

/** A runtime whose INT directory is the mocked DoS API, and a request accepted while it is down. */
async function acceptedWhileDown(name: string, body = requestBody()) {
  const runtime = await delivery.runtime(name, {
    env: { DIRECTORY_URL_INT: DOS_BASE, DIRECTORY_TIMEOUT_MS: '500' },
  });
  const id = await delivery.accept(runtime, body);
  expect((await delivery.record(runtime, id)).careConnect.status).toBe('unverified');
  return { runtime, id };
}

describe('CareConnect unverified at intake', () => {
  it('is checked again, and the email states what the directory now says', async () => {
    const { runtime, id } = await acceptedWhileDown('recheck-up');
    directory.up = true;
    directory.endpoints = [schedulingEndpoint('ASID:918999198993')];
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(record.careConnect).toMatchObject({
      status: 'careconnect',
      address: 'ASID:918999198993',
    });
    expect(record.warnings.join(' ')).not.toMatch(/could not be reached|could not be verified/);
    expect(record.history.map((entry) => entry.event)).toEqual(['queued', 'recheck', 'sent']);
    const [mail] = delivery.sink.messages;
    expect(mail?.text).toContain('ASID:918999198993');
    expect(mail?.text).not.toMatch(/could not be verified/);
  });

  it('waits for the directory on early attempts, then sends saying it could not be verified', async () => {
    const { runtime, id } = await acceptedWhileDown('recheck-down');
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(record.history.map((entry) => entry.event)).toEqual([
      'queued',
      ...Array<string>(SEND_UNVERIFIED_FROM_ATTEMPT).fill('recheck'),
      'sent',
    ]);
    expect(record.careConnect.status).toBe('unverified');
    const warning = `CareConnect could not be verified: the directory was still unreachable after ${SEND_UNVERIFIED_FROM_ATTEMPT} attempts.`;
    expect(record.warnings).toContain(warning);
    expect(delivery.sink.messages).toHaveLength(1);
    expect(delivery.sink.messages[0]?.text).toContain(warning);
    expect(delivery.sink.messages[0]?.html).toContain('CareConnect could not be verified');
  });

  it('with a single attempt left, sends at once rather than never', async () => {
    const runtime = await delivery.runtime('recheck-one', {
      env: { DIRECTORY_URL_INT: DOS_BASE, DIRECTORY_TIMEOUT_MS: '500' },
      retry: { attempts: 1, backoffMs: 10 },
    });
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(record.warnings.join(' ')).toMatch(/still unreachable after 1 attempt\./);
  });

  it('fails, and sends nothing, when the directory now says there is no scheduling endpoint', async () => {
    const { runtime, id } = await acceptedWhileDown('recheck-missing');
    directory.up = true;
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'failed');
    expect(record.history.at(-1)?.reason).toMatch(/found missing.*careConnectWaiver/);
    expect(delivery.sink.attempts).toBe(0);
  });

  it('sends with the waiver stated when the requester gave one', async () => {
    const { runtime, id } = await acceptedWhileDown(
      'recheck-waived',
      requestBody({ careConnectWaiver: 'GP Connect booking only until March' }),
    );
    directory.up = true;
    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(record.careConnect.status).toBe('waived');
    expect(delivery.sink.messages[0]?.text).toContain('GP Connect booking only until March');
  });
});
