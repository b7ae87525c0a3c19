// CSVs saved by Excel: a Windows-1252 file with dd/mm/yyyy dates, formula-like cells written to the
// refused-rows report as text and read back as they were, and a 20,000-row import in a process
// whose heap is too small to hold the file (only a streamed import fits).
import { useScratch } from './support/scratch.ts';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoDateOfCell } from '../src/domain/csv/columns.ts';
import {
  formatCsv,
  fromSpreadsheetCell,
  parseCsv,
  spreadsheetCell,
} from '../src/domain/csv/csv.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import {
  ecat,
  testConfig,
  testDatesIn,
  testEnv,
  VALID_REQUESTER,
  VALID_SERVICE,
} from './support/ecat.ts';

const HEADER = [
  'dosServiceId',
  'environment',
  'endpoint',
  'odsCode',
  'serviceName',
  'testDates.from',
  'testDates.to',
  'notes',
  'requester.name',
  'requester.email',
  'requester.phone',
];

/** A row of the snapshot's CareConnect-configured organisation (config/directory.json). */
function row(dosServiceId: string, cells: Record<string, string> = {}): string[] {
  const values: Record<string, string> = {
    ...VALID_SERVICE,
    dosServiceId,
    'requester.name': VALID_REQUESTER.name,
    'requester.email': VALID_REQUESTER.email,
    ...cells,
  };
  return HEADER.map((name) => values[name] ?? '');
}

/** The few characters these tests use beyond ASCII, as Windows-1252 stores them. */
const WINDOWS_1252: Record<string, number> = { é: 0xe9, '€': 0x80, '–': 0x96 };
function windows1252(text: string): Buffer {
  return Buffer.from(Array.from(text, (char) => WINDOWS_1252[char] ?? char.charCodeAt(0)));
}

/**
 * A future test date within 24 months whose day and month are both one digit, written day first
 * as Excel does: `01/03/2027` padded, `1/3/2027` not.
 */
function ukDate(padded: boolean, after = 60): { days: number; iso: string; cell: string } {
  for (let days = after; ; days += 1) {
    const iso = testDatesIn(days).from;
    const [year, month, day] = iso.split('-') as [string, string, string];
    if (day > '09' || month > '09') continue;
    const cell = padded
      ? `${day}/${month}/${year}`
      : `${String(Number(day))}/${String(Number(month))}/${year}`;
    return { days, iso, cell };
  }
}

describe('cells as Excel writes and reads them', () => {
  it('reads dd/mm/yyyy and d/m/yyyy dates as YYYY-MM-DD, an impossible one staying impossible', () => {
    const cells = [
      '01/03/2027',
      '1/3/2027',
      ' 15/11/2027 ',
      '31/02/2027',
      '2027-03-01',
      '01/03/27',
    ];
    expect(cells.map(isoDateOfCell)).toEqual([
      '2027-03-01',
      '2027-03-01',
      '2027-11-15',
      '2027-02-31',
      '2027-03-01',
      '01/03/27',
    ]);
  });

  it('writes a formula-like cell as text, and reads it back as it was', () => {
    const risky = ['=HYPERLINK("http://x","y")', '+441234567890', '-1', '@SUM(A1)', '\tx', '\rx'];
    for (const value of risky) {
      expect(spreadsheetCell(value)).toBe(`'${value}`);
      expect(fromSpreadsheetCell(spreadsheetCell(value))).toBe(value);
    }
    for (const value of ['Café', '', "'quoted", '2027-03-01', 'a=b']) {
      expect(spreadsheetCell(value)).toBe(value);
      expect(fromSpreadsheetCell(value)).toBe(value);
    }
  });
});

describe('ecat import of CSVs saved by Excel', () => {
  const scratch = useScratch('import-excel');
  const { prefix } = scratch;

  async function stored(dosServiceId: string): Promise<RequestRecord | undefined> {
    const runtime = await openRuntime(testConfig(prefix));
    try {
      const page = await runtime.store.list('all', { limit: 500 });
      return page.items.find((record) => record.request.dosServiceId === dosServiceId);
    } finally {
      await runtime.close();
    }
  }

  it('reads a Windows-1252 file with dd/mm/yyyy dates, keeping "Café" and refusing an impossible date', async () => {
    const from = ukDate(true);
    const to = ukDate(false, from.days + 1);
    const text = formatCsv([
      HEADER,
      row('5100000001', {
        serviceName: 'Café',
        'testDates.from': from.cell,
        'testDates.to': to.cell,
        notes: 'costs €5 – paid',
      }),
      row('5100000002', { 'testDates.from': `31/02/${from.iso.slice(0, 4)}` }),
    ]);
    const file = join(scratch.dir, 'windows.csv');
    await writeFile(file, windows1252(text));

    const run = await ecat(['import', file], testEnv(prefix));
    expect(run.stdout).toContain(`imported ${file}: 2 rows, 1 accepted, 1 refused`);
    expect(run.stdout).toContain('read as Windows-1252 (the file is not UTF-8)');
    expect(run.stderr).toMatch(/line 3: refused\n {2}testDates\.from: /);
    expect(run.code).toBe(1);

    const record = await stored('5100000001');
    expect(record?.request).toMatchObject({
      serviceName: 'Café',
      testDates: { from: from.iso, to: to.iso },
      notes: 'costs €5 – paid',
    });
  });

  it('writes formula-like cells to the report as text, and the fixed report imports them as given', async () => {
    const formula = '=HYPERLINK("http://x","y")';
    const file = join(scratch.dir, 'formulas.csv');
    await writeFile(
      file,
      formatCsv([
        HEADER,
        row('5200000001', {
          serviceName: formula,
          notes: '-- call first',
          'requester.email': 'not-an-email',
          'requester.phone': '+441234567890',
        }),
        row('5200000002', { serviceName: 'Plain' }),
      ]),
    );
    const first = await ecat(['import', file], testEnv(prefix));
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('2 rows, 1 accepted, 1 refused');

    const reportFile = join(scratch.dir, 'formulas.refused.csv');
    const raw = await readFile(reportFile, 'utf8');
    // A byte order mark, so Excel reads the report as UTF-8; the formula as text, quoted for CSV.
    expect(raw.startsWith('\uFEFFline,reasons,dosServiceId,')).toBe(true);
    expect(raw).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    const [header, refused, ...rest] = parseCsv(raw);
    expect(rest).toEqual([]);
    const cell = (name: string) => refused!.cells[header!.cells.indexOf(name)];
    expect(cell('line')).toBe('2');
    expect(cell('reasons')).toMatch(/^requester\.email: /);
    expect(cell('serviceName')).toBe(`'${formula}`);
    expect(cell('notes')).toBe("'-- call first");
    expect(cell('requester.phone')).toBe("'+441234567890");

    // Fixed as a user would: the line and reasons columns deleted, the email corrected.
    const fixed = [header!, refused!].map((record) => record.cells.slice(2));
    fixed[1]![HEADER.indexOf('requester.email')] = 'alex.morgan@nhs.net';
    const fixedFile = join(scratch.dir, 'formulas-fixed.csv');
    await writeFile(fixedFile, formatCsv(fixed));
    const second = await ecat(['import', fixedFile], testEnv(prefix));
    expect(second.stdout).toContain('1 rows, 1 accepted, 0 refused');
    expect(second.code).toBe(0);

    const record = await stored('5200000001');
    expect(record?.request).toMatchObject({
      serviceName: formula,
      notes: '-- call first',
      requester: { phone: '+441234567890' },
    });
  });
});

describe('a 20,000-row import with a 64 MB heap', () => {
  const scratch = useScratch('import-20k');
  const { prefix } = scratch;

  it('succeeds: the file is streamed, not held (the whole-file import ran out of heap here)', async () => {
    // The last row repeats the first row's service: further back than the lines the import keeps
    // for naming "line 2 of this file", it is refused as a duplicate of an outstanding request.
    const N = 20_000;
    const file = join(scratch.dir, 'large.csv');
    const lines = [HEADER.join(',')];
    for (let i = 0; i < N; i += 1) lines.push(row(String(5_300_000_000 + i)).join(','));
    lines.push(row('5300000000').join(','));
    await writeFile(file, `${lines.join('\n')}\n`);

    const child = spawn(
      process.execPath,
      ['--max-old-space-size=64', '--import', 'tsx', 'bin/ecat.js', 'import', file],
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...testEnv(prefix) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(output).toContain(`imported ${file}: 20001 rows, 20000 accepted, 1 refused`);
    expect(output).toMatch(/line 20002: refused\n {2}dosServiceId: /);
    expect(output).not.toContain('of this file');
    expect(code).toBe(1);
    const runtime = await openRuntime(testConfig(prefix));
    try {
      expect(await runtime.store.count('outstanding')).toBe(N);
    } finally {
      await runtime.close();
    }
  }, 180_000);
});
