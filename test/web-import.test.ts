// The CSV upload page: a file uploaded through the form is imported by a worker started here, on the
// real Redis, as `ecat import` imports it (the snapshot directory's CareConnect-configured Y02494);
// the progress page refreshes itself and ends with the CLI's summary, and the refused-rows report
// downloads spreadsheet-safe. Over the size limit and without the CSRF token nothing is stored.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../src/domain/csv/csv.ts';
import { createImports } from '../src/adapters/redis/imports.ts';
import { importFailed } from '../src/use-cases/import/import-upload.ts';
import type { Runtime } from '../src/wiring/runtime.ts';
import { countKeys, testDatesIn, VALID_REQUESTER, VALID_SERVICE } from './support/ecat.ts';
import { until, useDelivery } from './support/delivery.ts';
import { buildTestServer, csrfOf } from './support/web.ts';

const delivery = useDelivery();
/** Small, so a file over it is cheap to make; the good file is well under. */
const MAX_BYTES = 4096;

let runtime: Runtime;
let app: FastifyInstance;

beforeAll(async () => {
  runtime = await delivery.runtime('web-import', { env: { IMPORT_MAX_BYTES: String(MAX_BYTES) } });
  app = await buildTestServer(runtime);
});
afterAll(async () => {
  await app.close();
});

// The columns this test fills, in the order its rows give them.
const HEADER =
  'dosServiceId environment endpoint odsCode serviceName testDates.from notes requester.name requester.email'.split(
    ' ',
  );

function row(cells: Record<string, string>): string[] {
  const values: Record<string, string> = {
    ...VALID_SERVICE,
    'requester.name': VALID_REQUESTER.name,
    'requester.email': VALID_REQUESTER.email,
    'testDates.from': testDatesIn(60).from,
    ...cells,
  };
  return HEADER.map((name) => values[name] ?? '');
}

/** A multipart/form-data body as a browser sends the upload form: the token first, then the file. */
function uploadBody(file: { name: string; bytes: Buffer }, csrf?: string) {
  const boundary = '----ecat-test-boundary';
  const parts: Buffer[] = [];
  if (csrf !== undefined) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`,
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n` +
        'Content-Type: text/csv\r\n\r\n',
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(parts),
  };
}

async function upload(file: { name: string; bytes: Buffer }, withToken = true) {
  const form = await app.inject({ url: '/import' });
  expect(form.statusCode).toBe(200);
  const body = uploadBody(file, withToken ? csrfOf(form.body) : undefined);
  return app.inject({ method: 'POST', url: '/import', ...body });
}

/** Every key under this file's prefix: uploads, imports and jobs alike. */
const keysStored = () => countKeys(runtime.config.queuePrefix);

describe('the upload form', () => {
  it('is an NHS.UK page with a file upload, its token before the file, linked from the header', async () => {
    const page = await app.inject({ url: '/import' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('enctype="multipart/form-data"');
    expect(page.body).toMatch(/name="_csrf"[\s\S]*type="file"/);
    expect(page.body).toContain('smaller than 4 KB');
    expect((await app.inject({ url: '/' })).body).toContain('href="/import"');
  });
});

describe('an uploaded file', () => {
  it('is imported by the worker: progress, the CLI’s summary, and the refused rows to download', async () => {
    // Windows-1252, as Excel's plain "CSV" saves it: the é is one byte, not UTF-8.
    const text = formatCsv([
      HEADER,
      row({ serviceName: 'Café Urgent Treatment Centre' }),
      row({ dosServiceId: '01', notes: '=HYPERLINK("https://example.com")' }),
    ]);
    const posted = await upload({ name: 'requests.csv', bytes: Buffer.from(text, 'latin1') });
    expect(posted.statusCode).toBe(303);
    const location = posted.headers.location as string;
    expect(location).toMatch(/^\/import\/[A-Za-z0-9_-]{22}$/);

    // No worker yet: the page waits, refreshing itself.
    const waiting = await app.inject({ url: location });
    expect(waiting.statusCode).toBe(200);
    expect(waiting.body).toContain('<meta http-equiv="refresh" content="2">');
    expect(waiting.body).toContain('Waiting to import');

    delivery.worker(runtime);
    const done = await until(async () => {
      const page = await app.inject({ url: location });
      return page.body.includes('Import finished') && page.body;
    });
    expect(done).not.toContain('http-equiv="refresh"');
    expect(done).toContain(
      'imported requests.csv: 2 rows, 1 accepted, 1 refused; 1 directory lookups',
    );
    expect(done).toContain('read as Windows-1252 (the file is not UTF-8)');
    expect(done).toMatch(/mail: 1 email to send \(no rate limit\)/);
    expect(done).toContain(`href="${location}/report"`);

    const report = await app.inject({ url: `${location}/report` });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(report.headers['content-disposition']).toBe(
      'attachment; filename="requests.refused.csv"',
    );
    const lines = report.body.split('\r\n');
    expect(lines[0]).toBe(`\uFEFFline,reasons,${HEADER.join(',')}`);
    expect(lines[1]).toMatch(/^3,dosServiceId: /);
    // The formula-like cell is written as text, as the CLI's report writes it.
    expect(lines[1]).toContain(`"'=HYPERLINK(""https://example.com"")"`);
    expect(lines).toHaveLength(3);

    const accepted = await runtime.store.list('all', { limit: 10 });
    expect(accepted.items.map((record) => record.request.serviceName)).toEqual([
      'Café Urgent Treatment Centre',
    ]);
  });

  it('shows where a running import is', async () => {
    const imports = createImports(runtime.redis, runtime.config.queuePrefix);
    const id = await imports.create('big.csv', Buffer.from('x'));
    await imports.begin(id, 5000);
    await imports.progress(id, { rows: 1200, accepted: 1197, refused: 3 }, '');
    const page = await app.inject({ url: `/import/${id}` });
    expect(page.body).toContain('Importing: 1,200 of 5,000 rows, 3 refused so far');
    expect(page.body).toContain('<meta http-equiv="refresh" content="2">');
  });

  it('says how far an import got when it broke off, and stops refreshing', async () => {
    const imports = createImports(runtime.redis, runtime.config.queuePrefix);
    const id = await imports.create('big.csv', Buffer.from('x'));
    await imports.begin(id, 5000);
    await imports.progress(id, { rows: 1200, accepted: 1197, refused: 3 }, '\uFEFFline\r\n');
    await importFailed(imports, id, 'the worker importing it stopped');
    const page = await app.inject({ url: `/import/${id}` });
    expect(page.body).toContain('The import stopped');
    expect(page.body).toContain('the import stopped: the worker importing it stopped');
    expect(page.body).toContain('Rows settled before it stopped: 1,200 of 5,000');
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect(page.body).toContain(`/import/${id}/report`);
    expect(await imports.upload(id)).toBeUndefined();
  });

  it('is refused whole when its header does not fit, with nothing stored', async () => {
    delivery.worker(runtime);
    const posted = await upload({
      name: 'odd.csv',
      bytes: Buffer.from(
        formatCsv([
          [...HEADER, 'colour'],
          [...row({}), 'blue'],
        ]),
      ),
    });
    expect(posted.statusCode).toBe(303);
    const page = await until(async () => {
      const answer = await app.inject({ url: posted.headers.location as string });
      return answer.body.includes('The file was not imported') && answer.body;
    });
    expect(page).toContain('the header (line 1) does not fit:');
    expect(page).toContain('unknown column &#39;colour&#39;');
    expect(page).not.toContain('/report');
  });
});

describe('an upload refused at the door', () => {
  it('over the size limit: a clear error on the page, and nothing stored', async () => {
    const before = await keysStored();
    const big = formatCsv([HEADER, ...Array.from({ length: 40 }, () => row({}))]);
    expect(big.length).toBeGreaterThan(MAX_BYTES);
    const answer = await upload({ name: 'big.csv', bytes: Buffer.from(big) });
    expect(answer.statusCode).toBe(413);
    expect(answer.body).toContain('There is a problem');
    expect(answer.body).toContain('The selected file must be smaller than 4 KB');
    expect(await keysStored()).toBe(before);
  });

  it('without the CSRF token: 403, and nothing stored', async () => {
    const before = await keysStored();
    const answer = await upload(
      { name: 'requests.csv', bytes: Buffer.from(formatCsv([HEADER, row({})])) },
      false,
    );
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toContain('The form had expired or came from another site');
    expect(await keysStored()).toBe(before);
  });

  it('with no file chosen: asks for one', async () => {
    const answer = await upload({ name: '', bytes: Buffer.alloc(0) });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('Select a CSV file');
  });

  it('an unknown import is not found', async () => {
    expect((await app.inject({ url: '/import/AAAAAAAAAAAAAAAAAAAAAA' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/import/nope/report' })).statusCode).toBe(404);
  });
});
