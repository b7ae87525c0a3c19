// CSV import: columns derived from the schema, the parser, progress, and `ecat import` of 1,000
// rows (50 bad) against the real Redis and a DoS Search API in msw, counting its requests a second.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS, resolveHeader, rowToInput } from '../src/domain/csv/columns.ts';
import { CsvSyntaxError, formatCsv, parseCsv } from '../src/domain/csv/csv.ts';
import { importRows } from '../src/use-cases/import/import-requests.ts';
import { createProgress } from '../src/adapters/cli/progress.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { configurationRequestSchema } from '../src/domain/request/schema.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import {
  deletePrefix,
  ecat,
  requestBody,
  testConfig,
  testDatesIn,
  testEnv,
  uniquePrefix,
} from './support/ecat.ts';
import { dosState, schedulingEndpoint, useDosSearchStandIn } from './support/dos-directory.ts';

const DOS = 'https://int.api.service.nhs.uk/dos-search/FHIR/R4';
const NAMES = CSV_COLUMNS.map((column) => column.name);
const REQUIRED = [
  'dosServiceId',
  'environment',
  'endpoint',
  'odsCode',
  'requester.name',
  'requester.email',
];

describe('the CSV columns', () => {
  it('are the schema’s fields, with testDates and requester flattened', () => {
    const fields = Object.keys(configurationRequestSchema.shape);
    expect(NAMES.map((name) => name.split('.')[0])).toEqual(
      fields.flatMap((field) =>
        field === 'testDates'
          ? [field, field]
          : field === 'requester'
            ? Array<string>(4).fill(field)
            : [field],
      ),
    );
    expect(NAMES).toContain('testDates.from');
    expect(NAMES).toContain('requester.email');
    expect(CSV_COLUMNS.filter((column) => column.required).map((column) => column.name)).toEqual(
      REQUIRED,
    );
  });

  it('rebuild a request from a row, an empty cell being absent', () => {
    const header = resolveHeader([
      'DOSSERVICEID',
      'environment',
      'testDates.from',
      'testDates.to',
      'requester.name',
      'notes',
      'endpoint',
      'odsCode',
      'requester.email',
    ]);
    if (!header.ok) throw new Error(header.errors.join());
    expect(
      rowToInput(header.columns, [
        '123',
        'int',
        '2027-06-01',
        '',
        'Alex',
        '  ',
        'https://x.nhs.uk',
        'Y1',
        'a@b.nhs.uk',
      ]),
    ).toEqual({
      dosServiceId: '123',
      environment: 'int',
      testDates: { from: '2027-06-01' },
      requester: { name: 'Alex', email: 'a@b.nhs.uk' },
      endpoint: 'https://x.nhs.uk',
      odsCode: 'Y1',
    });
  });

  it('refuse a header with unknown, repeated or missing columns', () => {
    const result = resolveHeader(['dosServiceId', 'dosServiceId', 'colour', 'environment']);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.slice(0, 3)).toEqual([
      "column 'dosServiceId' appears twice",
      "unknown column 'colour' (unknown fields are refused, not dropped)",
      'missing required column(s): endpoint, odsCode, requester.name, requester.email',
    ]);
  });
});

describe('the CSV parser', () => {
  it('reads quotes, commas and line breaks in cells, CRLF, a BOM, and skips blank lines', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, ""y""","two\nlines"\r\n\r\n,\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, "y"', 'two\nlines'] },
      { line: 5, cells: ['', ''] },
    ]);
    expect(parseCsv(formatCsv([['a,b', 'c"d', 'e']]))).toEqual([
      { line: 1, cells: ['a,b', 'c"d', 'e'] },
    ]);
  });

  it('names the line of a broken quote', () => {
    expect(() => parseCsv('a\nb\n"c\n')).toThrow(
      new CsvSyntaxError(3, 'a quoted cell is never closed'),
    );
    expect(() => parseCsv('a\n"b"c\n')).toThrow(/^line 2: unexpected "c" after a closing quote/);
  });
});

describe('import progress', () => {
  const capture = () => {
    const stream = new PassThrough();
    const out: string[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    return { stream, out };
  };

  it('draws a bar in place on a terminal', () => {
    const { stream, out } = capture();
    const progress = createProgress(stream, 4, true);
    progress.update(4, 1);
    progress.finish();
    expect(out.join('')).toContain('\r\x1b[2K██████████████████████████████ 4/4 rows · 1 refused');
  });

  it('writes a plain line every tenth elsewhere', () => {
    const { stream, out } = capture();
    const progress = createProgress(stream, 100, false);
    for (let done = 1; done <= 100; done += 1) progress.update(done, 0);
    expect(out).toHaveLength(10);
    expect(out[9]).toBe('import: 100/100 rows (0 refused)\n');
    expect(out.join('')).not.toContain('\r');
  });
});

describe('ecat import of 1,000 rows, 50 of them bad', () => {
  const prefix = uniquePrefix('import');
  let dir: string;
  // The strict DoS Search stand-in: every organisation has one CareConnect endpoint.
  const dos = dosState({ endpoints: [schedulingEndpoint('ASID:918999198993')] });
  useDosSearchStandIn(dos, { base: DOS, keepState: true });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecat-import-'));
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  /** A good row: 41 organisations share the 1,000 services, as trusts run many. */
  function good(i: number): Record<string, string> {
    const ods = `Y1${String(i % 41).padStart(4, '0')}`;
    return {
      dosServiceId: String(4_000_000_000 + i),
      environment: i % 3 === 0 ? 'integration' : 'INT',
      endpoint: `https://BaRS-INT-${ods}.example-supplier.thirdparty.nhs.uk/fhir/R4`,
      odsCode: ods.toLowerCase(),
      serviceName: `Service ${i}, "east"`,
      'testDates.from': i % 2 === 0 ? testDatesIn(200).from : '',
      'requester.name': 'Alex Morgan',
      'requester.email': 'alex.morgan@nhs.net',
    };
  }

  // The reasons, exactly: `path: message` with the catalogue's message.
  const BAD: [string, (row: Record<string, string>) => Record<string, string>, string | RegExp][] =
    [
      [
        'dosServiceId',
        (row) => ({ ...row, dosServiceId: 'ABC123' }),
        'dosServiceId: DoS Service ID must only include numbers, like 2000072489',
      ],
      [
        'environment',
        (row) => ({ ...row, environment: 'UAT' }),
        'environment: Environment must be INT or Prod',
      ],
      [
        'endpoint',
        (row) => ({ ...row, endpoint: 'http://x.nhs.uk/fhir' }),
        'endpoint: Endpoint URL must start with https://',
      ],
      [
        'odsCode',
        (row) => ({ ...row, odsCode: 'Y!' }),
        'odsCode: ODS code must be 3 to 12 letters or numbers, like Y02494',
      ],
      [
        'email',
        (row) => ({ ...row, 'requester.email': 'not-an-email' }),
        'requester.email: Enter an email address in the correct format, like name@example.nhs.uk',
      ],
      [
        'date',
        (row) => ({ ...row, 'testDates.from': '2027-02-30' }),
        'testDates.from: First test date must be a real date',
      ],
      [
        'past',
        (row) => ({ ...row, 'testDates.from': '2020-01-06' }),
        'testDates.from: First test date must be today or in the future',
      ],
      [
        'no TCC',
        (row) => ({ ...row, environment: 'PROD', endpoint: row.endpoint!.replace('INT', 'PROD') }),
        // Then a CareConnect reason too: PROD is checked against the DoS snapshot here.
        /^tccReference: Enter the TCC reference: a Prod request needs the Technical Conformance Certificate reference from Solution Assurance(; |$)/,
      ],
      [
        'duplicate',
        (row) => ({ ...row, dosServiceId: String(4_000_000_000 + 1) }),
        /^dosServiceId: the same service and environment as line 3 of this file \(req-[0-9a-f-]{36}\)$/,
      ],
      ['name', (row) => ({ ...row, 'requester.name': '' }), 'requester.name: Enter your full name'],
    ];

  it('accepts 950, reports 50 with reasons, and asks the directory at most 10 times a second', async () => {
    const rows: string[][] = [NAMES];
    const bad = new Map<number, string | RegExp>();
    for (let i = 0; i < 1000; i += 1) {
      let row = good(i);
      if (i % 20 === 7) {
        const [, spoil, reason] = BAD[((i - 7) / 20) % BAD.length]!;
        row = spoil(row);
        bad.set(i + 2, reason);
      }
      rows.push(NAMES.map((name) => row[name] ?? ''));
    }
    const file = join(dir, 'services.csv');
    await writeFile(file, formatCsv(rows));

    // With NHSmail's rate: the summary says how long the emails will take (nothing is sent here).
    const mail = { SMTP_URL: 'smtp://smtp.example.nhs.uk:587', MAIL_RATE_LIMIT: '30' };
    const run = await ecat(
      ['import', file],
      testEnv(prefix, { DIRECTORY_URL_INT: DOS, APIM_ACCESS_TOKEN: 'token-1', ...mail }),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`imported ${file}: 1000 rows, 950 accepted, 50 refused`);
    expect(run.stdout).toContain(
      "mail: 950 emails to send (at most 30 every 60 s, about 31 min to send); 1,900 of the mailbox's 10,000 recipients a day",
    );

    // Every refused row, with its reason, on the terminal and in the report file.
    const report = parseCsv(await readFile(join(dir, 'services.refused.csv'), 'utf8'));
    expect(report[0]!.cells).toEqual(['line', 'reasons', ...NAMES]);
    expect(report.slice(1).map((row) => Number(row.cells[0]))).toEqual([...bad.keys()]);
    for (const row of report.slice(1)) {
      const line = Number(row.cells[0]);
      const reason = bad.get(line)!;
      if (typeof reason === 'string') expect(row.cells[1]).toBe(reason);
      else expect(row.cells[1]).toMatch(reason);
      expect(run.stderr).toContain(`line ${line}: refused\n  ${row.cells[1]!.split('; ')[0]}`);
      expect(row.cells.slice(2)).toEqual(rows[line - 1]);
    }

    const runtime = await openRuntime(testConfig(prefix));
    try {
      expect(await runtime.store.count('outstanding')).toBe(950);
      const counts = await runtime.queue.getJobCounts('prioritized', 'delayed');
      expect(counts.prioritized).toBe(950);
      // Rows with test dates (even rows) also got their chaser, in the same transaction.
      expect(counts.delayed).toBe(
        [...Array(1000).keys()].filter((i) => i % 2 === 0 && !bad.has(i + 2)).length,
      );
      const first = await runtime.store.list('outstanding', { limit: 500 });
      const rest = await runtime.store.list('outstanding', {
        limit: 500,
        cursor: first.nextCursor,
      });
      const items = [...first.items, ...rest.items];
      expect(new Set(items.map((item) => item.request.dosServiceId)).size).toBe(950);
      const row2 = items.find((item) => item.request.dosServiceId === '4000000000');
      expect(row2).toMatchObject({
        request: { dosServiceId: '4000000000', environment: 'INT', odsCode: 'Y10000' },
        careConnect: { status: 'careconnect', address: 'ASID:918999198993' },
      });
      expect(row2!.history[0]!.reason).toMatch(/^accepted through import/);
    } finally {
      await runtime.close();
    }

    // One lookup per organisation, no /metadata (DoS Search has none), paced by the limiter:
    // 41 lookups at 10 a second start over at least 4 s. (Arrival times here, after the event
    // loop, can bunch up under load; that at most N arrive in any second, from several processes,
    // is shown in many-instances.test.ts.) Without the limiter they all arrive within a moment.
    expect(dos.refused).toEqual([]);
    const lookups = dos.seen.filter((r) => r.url.pathname.endsWith('/Organization'));
    expect(lookups).toHaveLength(dos.seen.length);
    const codes = lookups.map((r) => r.url.searchParams.get('identifier')?.split('|')[1]);
    expect(new Set(codes).size).toBe(41);
    expect(lookups).toHaveLength(41);
    const times = lookups.map((r) => r.at!).sort((a, b) => a - b);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(3000);
    expect(run.stdout).toMatch(/; 4[1-6] directory lookups\n/); // 41 INT organisations, the PROD rows' from the snapshot
  });

  it('reads standard input, and answers in JSON with --json', async () => {
    const row: Record<string, string> = {
      ...good(2000),
      dosServiceId: '4100000000',
      odsCode: 'Y10001',
    };
    const csv = formatCsv([NAMES, NAMES.map((name) => row[name] ?? '')]);
    const run = await ecat(
      ['import', '-', '--json'],
      testEnv(prefix, { DIRECTORY_URL_INT: DOS, APIM_ACCESS_TOKEN: 'token-1' }),
      csv,
    );
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout) as { accepted: { line: number; id: string }[] };
    expect(body).toMatchObject({
      accepted: [
        {
          line: 2,
          outcome: 'accepted',
          id: expect.stringMatching(/^req-/) as unknown,
          urgency: 'routine',
        },
      ],
      refused: [],
      report: null,
    });
  });

  it('refuses a file whose header does not fit, importing nothing', async () => {
    const file = join(dir, 'odd.csv');
    await writeFile(file, 'dosServiceId,colour\n1,red\n');
    const run = await ecat(['import', file], testEnv(prefix));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unknown column 'colour'");
    expect(run.stderr).toContain(`the columns are: ${NAMES.join(', ')}`);
  });
});

describe('importing in chunks written back to back', () => {
  it('lets the earlier of two rows win across chunks, and meets what Redis already holds', async () => {
    const prefix = uniquePrefix('import-chunks');
    const runtime = await openRuntime(testConfig(prefix));
    try {
      const existing = await submitRequest(
        requestBody({ dosServiceId: '7000000004' }),
        runtime.intakeDeps('test'),
      );
      if (existing.outcome !== 'accepted') throw new Error(existing.outcome);
      const header = resolveHeader(REQUIRED);
      if (!header.ok) throw new Error(header.errors.join());
      const services = ['1', '2', '3', '4', '5', '1', '6', '2', '7'].map((n) => `700000000${n}`);
      const rows = services.map((dosServiceId, i) => ({
        line: i + 2,
        cells: [
          dosServiceId,
          'INT',
          'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
          'Y02494',
          'Alex Morgan',
          'alex.morgan@nhs.net',
        ],
      }));
      const seen: number[] = [];
      const outcomes = await importRows(rows, header.columns, runtime.intakeDeps('import'), {
        batchSize: 2,
        onRow: (outcome) => seen.push(outcome.line),
      });

      expect(seen).toEqual(rows.map((row) => row.line));
      expect(outcomes.map((outcome) => outcome.outcome)).toEqual([
        'accepted',
        'accepted',
        'accepted',
        'refused',
        'accepted',
        'refused',
        'accepted',
        'refused',
        'accepted',
      ]);
      const reasons = (line: number) =>
        outcomes.find((outcome) => outcome.line === line && outcome.outcome === 'refused');
      expect(reasons(5)).toMatchObject({
        reasons: [
          `dosServiceId: There is already an open INT request for this service: ${referenceFor(existing.id)}`,
        ],
      });
      expect(reasons(7)).toMatchObject({
        reasons: [expect.stringMatching(/same service and environment as line 2 of this file/)],
      });
      expect(reasons(9)).toMatchObject({
        reasons: [expect.stringMatching(/same service and environment as line 3 of this file/)],
      });
      expect(await runtime.store.count('outstanding')).toBe(7);
      expect(await runtime.queue.count()).toBe(7);
    } finally {
      await runtime.close();
      await deletePrefix(prefix);
    }
  });
});
