// CSV as RFC 4180 writes it (what spreadsheets export): quoted cells with doubled quotes, commas
// and line breaks inside quotes, CRLF or LF line ends, an optional UTF-8 byte order mark. Records
// keep the line they start on, so a refusal can point at the line a user sees in an editor.
import { EcatError } from '../errors.ts';

export interface CsvRecord {
  /** 1-based line where the record starts (the header is usually line 1). */
  line: number;
  cells: string[];
}

export class CsvSyntaxError extends EcatError {
  override readonly name = 'CsvSyntaxError';
  override readonly kind = 'invalid';
  override readonly retryable = false;
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

/** Parses the whole text; blank lines are skipped. Throws CsvSyntaxError on a broken quote. */
export function parseCsv(input: string): CsvRecord[] {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  /** Whether the record so far has anything at all, even an empty quoted cell. */
  let content = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;

  const endRecord = () => {
    cells.push(cell);
    // A line with nothing on it is not a record (a trailing newline, a blank line between rows).
    if (content) records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
    content = false;
  };

  while (i < text.length) {
    const char = text.charAt(i);
    if (char === '"' && cell === '') {
      // A quoted cell: runs to the next quote that is not doubled.
      const openedOn = line;
      content = true;
      i += 1;
      for (;;) {
        if (i >= text.length) throw new CsvSyntaxError(openedOn, 'a quoted cell is never closed');
        const inner = text.charAt(i);
        if (inner === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (inner === '\n') line += 1;
        cell += inner;
        i += 1;
      }
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new CsvSyntaxError(line, `unexpected ${JSON.stringify(next)} after a closing quote`);
      }
      continue;
    }
    if (char === ',') {
      cells.push(cell);
      cell = '';
      content = true;
      i += 1;
      continue;
    }
    if (char === '\n' || char === '\r') {
      endRecord();
      i += char === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line += 1;
      recordLine = line;
      continue;
    }
    // A quote inside an unquoted cell is taken as it is, as spreadsheets do.
    cell += char;
    content = true;
    i += 1;
  }
  if (content) endRecord();
  return records;
}

/** One cell, quoted when it holds a quote, a comma or a line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
