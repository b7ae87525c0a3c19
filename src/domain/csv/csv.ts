// CSV as RFC 4180 writes it (what spreadsheets export): quoted cells with doubled quotes, commas
// and line breaks inside quotes, CRLF or LF line ends, an optional byte order mark. The parser
// takes the text a chunk at a time and hands back whole records as they end, so a file of any
// size is read in bounded memory. Records keep the line they start on, so a refusal can point at
// the line a user sees in an editor.
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
  readonly line: number;
  constructor(line: number, detail: string) {
    super(`line ${line}: ${detail}`);
    this.line = line;
  }
}

/**
 * A record longer than this is refused: an unclosed quote would otherwise swallow the rest of
 * the file into one cell, and with it the memory the streaming is there to save.
 */
export const MAX_RECORD_CHARS = 1_000_000;

type State =
  /** Nothing of the cell read yet: a quote here opens a quoted cell. */
  | 'cell-start'
  | 'unquoted'
  | 'quoted'
  /** A quote inside a quoted cell: doubled (a quote) or closing, as the next character says. */
  | 'quote-in-quoted';

export class CsvParser {
  private state: State = 'cell-start';
  private cells: string[] = [];
  private cell = '';
  /** Whether the record so far has anything at all, even an empty quoted cell. */
  private content = false;
  private recordChars = 0;
  private line = 1;
  private recordLine = 1;
  private quoteOpenedOn = 1;
  /** After a CR ending a record: an LF next is the same line end (CRLF across two chunks). */
  private skipLineFeed = false;
  private started = false;
  private readonly delimiter = /[,\r\n]/g;

  /** Reads the next chunk; gives the records it completed (none, if it ends mid-record). */
  push(text: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.startsWith('\uFEFF')) i = 1;
    }
    while (i < text.length) {
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (text[i] === '\n') {
          i += 1;
          continue;
        }
      }
      i = this.step(text, i, records);
    }
    return records;
  }

  /** The input has ended: the last record, if it had no line break after it. */
  end(): CsvRecord[] {
    if (this.state === 'quoted') {
      throw new CsvSyntaxError(this.quoteOpenedOn, 'a quoted cell is never closed');
    }
    const records: CsvRecord[] = [];
    if (this.content) this.endRecord(records);
    return records;
  }

  /** Reads from `i` as far as the current state allows; returns where to go on. */
  private step(text: string, i: number, records: CsvRecord[]): number {
    if (this.state === 'quoted') {
      const quote = text.indexOf('"', i);
      const end = quote === -1 ? text.length : quote;
      this.append(text.slice(i, end));
      if (quote === -1) return end;
      this.state = 'quote-in-quoted';
      return quote + 1;
    }
    const char = text.charAt(i);
    if (this.state === 'quote-in-quoted') {
      if (char === '"') {
        this.append('"');
        this.state = 'quoted';
        return i + 1;
      }
      if (char !== ',' && char !== '\n' && char !== '\r') {
        throw new CsvSyntaxError(
          this.line,
          `unexpected ${JSON.stringify(char)} after a closing quote`,
        );
      }
      return this.atDelimiter(char, i, records);
    }
    if (this.state === 'cell-start' && char === '"') {
      this.state = 'quoted';
      this.quoteOpenedOn = this.line;
      this.content = true;
      return i + 1;
    }
    // An unquoted cell runs to the next comma or line end; a quote inside it is taken as it is,
    // as spreadsheets do.
    this.delimiter.lastIndex = i;
    const found = this.delimiter.exec(text);
    const end = found ? found.index : text.length;
    if (end > i) {
      this.append(text.slice(i, end));
      this.content = true;
      this.state = 'unquoted';
    }
    return found ? this.atDelimiter(text.charAt(end), end, records) : end;
  }

  private atDelimiter(char: string, i: number, records: CsvRecord[]): number {
    this.state = 'cell-start';
    if (char === ',') {
      this.cells.push(this.cell);
      this.cell = '';
      this.content = true;
      return i + 1;
    }
    this.endRecord(records);
    this.line += 1;
    this.recordLine = this.line;
    this.skipLineFeed = char === '\r';
    return i + 1;
  }

  private append(part: string): void {
    this.cell += part;
    this.recordChars += part.length;
    if (this.state === 'quoted') {
      for (let at = part.indexOf('\n'); at !== -1; at = part.indexOf('\n', at + 1)) this.line += 1;
    }
    if (this.recordChars > MAX_RECORD_CHARS) {
      throw this.state === 'quoted'
        ? new CsvSyntaxError(
            this.quoteOpenedOn,
            `a quoted cell runs on past ${MAX_RECORD_CHARS.toLocaleString('en-GB')} characters (is its closing quote missing?)`,
          )
        : new CsvSyntaxError(
            this.recordLine,
            `a row longer than ${MAX_RECORD_CHARS.toLocaleString('en-GB')} characters`,
          );
    }
  }

  private endRecord(records: CsvRecord[]): void {
    this.cells.push(this.cell);
    // A line with nothing on it is not a record (a trailing newline, a blank line between rows).
    if (this.content) records.push({ line: this.recordLine, cells: this.cells });
    this.cells = [];
    this.cell = '';
    this.content = false;
    this.recordChars = 0;
  }
}

/** The records of text that arrives in chunks (a file or a pipe, decoded). */
export async function* parseCsvStream(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser();
  for await (const chunk of chunks) yield* parser.push(chunk);
  yield* parser.end();
}

/** Parses the whole text; blank lines are skipped. Throws CsvSyntaxError on a broken quote. */
export function parseCsv(input: string): CsvRecord[] {
  const parser = new CsvParser();
  return [...parser.push(input), ...parser.end()];
}

/** One cell, quoted when it holds a quote, a comma or a line break. */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection"):
// `=HYPERLINK(...)` from an imported row would become a live link in the report a user opens.
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell for a CSV a spreadsheet will open: a formula-like value gets a leading `'`, as text. */
export function spreadsheetCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * A cell read back from such a CSV: the `'` spreadsheetCell added is taken off again, so a report
 * that was fixed and saved imports the values as they were first given.
 */
export function fromSpreadsheetCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

/** One line of a CSV for a spreadsheet: each cell through spreadsheetCell, CRLF at the end. */
export function spreadsheetRow(cells: readonly string[]): string {
  return `${cells.map((cell) => csvCell(spreadsheetCell(cell))).join(',')}\r\n`;
}
