// The import read a chunk at a time: the parser gives the same records however the text is cut,
// progress without a total, a file broken near its end refused before anything is stored, and a
// pipe broken part way imported up to the break.
import { useScratch } from './support/scratch.ts';
import { writeFile } from 'node:fs/promises';

import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CsvParser, MAX_RECORD_CHARS, parseCsv, type CsvRecord } from '../src/domain/csv/csv.ts';
import { createProgress } from '../src/adapters/cli/progress.ts';
import { runCli } from '../src/adapters/cli/main.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { ecat, testConfig, testEnv, VALID_REQUESTER, VALID_SERVICE } from './support/ecat.ts';

function inChunks(text: string, cuts: number[]): CsvRecord[] {
  const parser = new CsvParser();
  const records: CsvRecord[] = [];
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    records.push(...parser.push(text.slice(from, cut)));
    from = cut;
  }
  return [...records, ...parser.end()];
}

describe('the streaming CSV parser', () => {
  const TEXT = '\uFEFFa,b\r\n"x, ""y""","two\r\nlines"\r\n\r\nplain,"q"\rlast,"end"';

  it('gives the same records, lines included, wherever the chunks are cut', () => {
    const whole = parseCsv(TEXT);
    expect(whole).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, "y"', 'two\r\nlines'] },
      { line: 5, cells: ['plain', 'q'] },
      { line: 6, cells: ['last', 'end'] },
    ]);
    for (let cut = 0; cut <= TEXT.length; cut += 1) expect(inChunks(TEXT, [cut])).toEqual(whole);
    const everyCharacter = Array.from({ length: TEXT.length }, (_, i) => i);
    expect(inChunks(TEXT, everyCharacter)).toEqual(whole);
  });

  it('hands records over as their line ends, not at the end of the input', () => {
    const parser = new CsvParser();
    expect(parser.push('a,b\nc,"d')).toEqual([{ line: 1, cells: ['a', 'b'] }]);
    expect(parser.push('\ne"\n')).toEqual([{ line: 2, cells: ['c', 'd\ne'] }]);
    expect(parser.end()).toEqual([]);
  });

  it('refuses a quote never closed before it swallows the rest of the input', () => {
    const parser = new CsvParser();
    parser.push('a\n"open\n');
    const filler = 'x'.repeat(64 * 1024);
    expect(() => {
      for (let read = 0; read <= MAX_RECORD_CHARS; read += filler.length) parser.push(filler);
    }).toThrow(/^line 2: a quoted cell runs on past 1,000,000 characters/);
  });
});

describe('import progress with no total (standard input)', () => {
  const capture = () => {
    const stream = new PassThrough();
    const out: string[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    return { stream, out };
  };

  it('writes a line every 1,000 rows elsewhere, and the last count at the end', () => {
    const { stream, out } = capture();
    const progress = createProgress(stream, undefined, false);
    for (let done = 1; done <= 2500; done += 1) progress.update(done, 3);
    progress.finish();
    expect(out).toEqual([
      'import: 1000 rows (3 refused)\n',
      'import: 2000 rows (3 refused)\n',
      'import: 2500 rows (3 refused)\n',
    ]);
  });

  it('counts in place on a terminal', () => {
    const { stream, out } = capture();
    const progress = createProgress(stream, undefined, true);
    progress.update(7, 1);
    progress.finish();
    expect(out.join('')).toBe('\r\x1b[2K7 rows · 1 refused\r\x1b[2K');
  });
});

describe('a CSV broken near its end', () => {
  const scratch = useScratch('import-broken');
  const { prefix } = scratch;

  const HEADER = 'dosServiceId,environment,endpoint,odsCode,requester.name,requester.email';
  const row = (id: string) =>
    [id, 'INT', VALID_SERVICE.endpoint, 'Y02494', VALID_REQUESTER.name, VALID_REQUESTER.email].join(
      ',',
    );
  const outstanding = async () => {
    const runtime = await openRuntime(testConfig(prefix));
    try {
      return await runtime.store.count('outstanding');
    } finally {
      await runtime.close();
    }
  };

  it('as a file: refused whole, before any row is stored', async () => {
    const file = join(scratch.dir, 'broken.csv');
    await writeFile(file, [HEADER, row('5400000001'), row('5400000002'), '"open,'].join('\n'));
    const run = await ecat(['import', file], testEnv(prefix));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `refused: ${file} is not valid CSV: line 4: a quoted cell is never closed`,
    );
    expect(await outstanding()).toBe(0);
  });

  it('on standard input: the rows before the break imported, then it stops and says where', async () => {
    const text = [HEADER, row('5400000003'), row('5400000004'), '"open,'].join('\n');
    const run = await ecat(['import', '-'], testEnv(prefix), text);
    expect(run.stdout).toContain('imported -: 2 rows, 2 accepted, 0 refused');
    expect(run.stdout).toContain(
      'stopped: not valid CSV at line 4: a quoted cell is never closed; the rows after it were not read',
    );
    expect(run.code).toBe(1);
    expect(await outstanding()).toBe(2);
  });

  it('on standard input, bytes that are not UTF-8 stop it, with what to do instead', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\n${row('5400000005')}\n5400000006,INT,`),
      Buffer.from([0xe9]),
    ]);
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const code = await runCli(['import', '-'], {
      stdin: Readable.from([bytes]),
      stdout: out,
      stderr: out,
      env: testEnv(prefix),
      waitForStop: () => new Promise(() => undefined),
      isTTY: false,
    });
    expect(code).toBe(1);
    expect(chunks.join('')).toContain('stopped: standard input is not UTF-8');
    expect(await outstanding()).toBe(3);
  });
});
