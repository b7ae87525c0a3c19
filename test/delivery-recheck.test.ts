// A request accepted while the DoS directory was unreachable (CareConnect `unverified`) is checked
// again by the worker before its email goes; one the directory cannot answer for (an ODS code DoS
// Search does not take) is final and goes without. The directory is the strict DoS Search
// stand-in (msw).
import { describe, expect, it } from 'vitest';
import { SEND_UNVERIFIED_FROM_ATTEMPT } from '../src/use-cases/send-request-email.ts';
import { requestBody } from './support/ecat.ts';
import { useDelivery } from './support/delivery.ts';
import {
  DOS_BASE,
  dosState,
  schedulingEndpoint,
  useDosSearchStandIn,
} from './support/dos-directory.ts';

const delivery = useDelivery();
const directory = dosState({ up: false });
// The stand-in refuses what the API refuses (400/401/404): none of that may happen here.
useDosSearchStandIn(directory, { resetTo: { up: false } });

/** The INT directory is the DoS Search stand-in, reached with an API-M access token. */
const DOS_ENV = {
  DIRECTORY_URL_INT: DOS_BASE,
  DIRECTORY_TIMEOUT_MS: '500',
  APIM_ACCESS_TOKEN: 'test-token',
};

/** A runtime whose INT directory is the DoS Search stand-in, and a request accepted while it is down. */
async function acceptedWhileDown(name: string, body = requestBody()) {
  const runtime = await delivery.runtime(name, { env: DOS_ENV });
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
      env: DOS_ENV,
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

describe('CareConnect unverified for good (an ODS code DoS Search does not take)', () => {
  it('is accepted without asking, and sent at the first attempt without a re-check', async () => {
    const runtime = await delivery.runtime('recheck-final', { env: DOS_ENV });
    directory.up = true;
    directory.endpoints = [schedulingEndpoint('ASID:918999198993')];
    const id = await delivery.accept(
      runtime,
      requestBody({
        odsCode: 'RX1',
        endpoint: 'https://BaRS-INT-RX1.example-supplier.thirdparty.nhs.uk/fhir/R4',
      }),
    );
    const accepted = await delivery.record(runtime, id);
    expect(accepted.careConnect).toMatchObject({ status: 'unverified', final: true });
    expect(accepted.careConnect.detail).toMatch(/ODS codes of 5 to 12 .* RX1 has 3/);
    expect(accepted.warnings).toContain(accepted.careConnect.detail);

    delivery.worker(runtime);
    const record = await delivery.waitForStatus(runtime, id, 'sent');
    expect(record.history.map((entry) => entry.event)).toEqual(['queued', 'sent']);
    expect(record.history.at(-1)?.details?.attempt).toBe(1);
    expect(directory.requests).toBe(0);
    const [mail] = delivery.sink.messages;
    expect(mail?.text).toContain('RX1 has 3');
    expect(mail?.text).not.toMatch(/still unreachable/);
  });
});
