// A CSV uploaded by a signed-in requester: the import's page and report are theirs alone, and every
// request it makes is theirs, named in its history as them, not as "the CSV import".
import { describe, expect, it } from 'vitest';
import { startWorker } from '../src/wiring/runtime.ts';
import { VALID_REQUESTER, VALID_SERVICE, testDatesIn } from './support/ecat.ts';
import { silentLog, until } from './support/delivery.ts';
import { person, sessionCookie, useSignIn } from './support/people.ts';
import { csrfOf } from './support/web.ts';
import { useScratch } from './support/scratch.ts';

const scratch = useScratch('people-import');
const web = useSignIn('people-import', () => ({ OUTBOX_DIR: scratch.dir }));

function uploadBody(csv: string, csrf: string) {
  const boundary = '----people-import';
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="mine.csv"\r\n` +
      `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`,
  );
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload };
}

describe('a requester’s CSV upload', () => {
  it('is theirs: its requests carry them as submitter, and another requester cannot see it', async () => {
    const ada = await sessionCookie(web.runtime, person('ada'), ['requester']);
    const form = await web.app.inject({ url: '/import', headers: { cookie: ada } });
    const csv = [
      'dosServiceId,environment,endpoint,odsCode,testDates.from,requester.name,requester.email',
      `71000001,INT,${VALID_SERVICE.endpoint},${VALID_SERVICE.odsCode},${testDatesIn(60).from},${VALID_REQUESTER.name},${VALID_REQUESTER.email}`,
    ].join('\n');
    const body = uploadBody(csv, csrfOf(form.body));
    const posted = await web.app.inject({
      method: 'POST',
      url: '/import',
      headers: { ...body.headers, cookie: ada },
      payload: body.payload,
    });
    expect(posted.statusCode).toBe(303);
    const location = String(posted.headers.location);

    const worker = startWorker(web.runtime, silentLog);
    try {
      await until(async () => {
        const page = await web.app.inject({ url: location, headers: { cookie: ada } });
        return page.body.includes('Import finished');
      });
    } finally {
      await worker.stop(1000);
    }
    const [record] = (await web.runtime.store.readAll('all')).filter(
      (r) => r.request.dosServiceId === '71000001',
    );
    expect(record?.submittedBy?.email).toBe('ada.lovelace@nhs.net');
    expect(record?.history[0]?.actor).toMatchObject({ kind: 'person', name: 'Ada Lovelace' });

    const bob = await sessionCookie(web.runtime, person('bob'), ['requester']);
    const refused = await web.app.inject({ url: location, headers: { cookie: bob } });
    expect(refused.statusCode).toBe(404);
    const mine = await web.app.inject({
      url: `/requests/${record?.id ?? ''}`,
      headers: { cookie: ada },
    });
    expect(mine.statusCode).toBe(200);
  }, 30_000);
});
