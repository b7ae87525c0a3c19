// The refused rows of an import, written to their report file as each is settled, so none is held
// in memory. The text, safe for a spreadsheet, is domain/csv/refused-rows.ts's.
import { closeSync, openSync, writeSync } from 'node:fs';
import { refusedReportHeader, refusedReportRow } from '../../domain/csv/refused-rows.ts';
import { UsageError } from './io.ts';

/** Rows are gathered up to this size and written together, not one system call a row. */
const FLUSH_CHARS = 64 * 1024;

export interface RefusedReport {
  readonly path: string;
  /** Rows written so far. */
  readonly rows: number;
  add(line: number, reasons: readonly string[], cells: readonly string[]): void;
  /** Writes what is gathered and closes the file; nothing was created if no row was added. */
  close(): void;
}

/** The report's path when `--report` does not give one: beside the input, or here for stdin. */
export function reportPath(input: string): string {
  if (input === '-') return 'import-refused.csv';
  return `${input.replace(/\.csv$/i, '')}.refused.csv`;
}

/**
 * The file is created at the first refused row (an import with none leaves nothing behind). The
 * writes are synchronous: a command-line process with one file to write, and the simplest way to
 * keep a slow disk from filling memory with rows waiting to be written.
 */
export function refusedReport(path: string, header: readonly string[]): RefusedReport {
  let fd: number | undefined;
  let pending = '';
  let rows = 0;
  const fail = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(`cannot write the report ${path}: ${code}`);
  };
  const flush = () => {
    if (fd === undefined || pending === '') return;
    try {
      writeSync(fd, pending);
    } catch (error) {
      fail(error);
    }
    pending = '';
  };
  return {
    path,
    get rows() {
      return rows;
    },
    add(line, reasons, cells) {
      if (fd === undefined) {
        try {
          fd = openSync(path, 'w');
        } catch (error) {
          fail(error);
        }
        pending = refusedReportHeader(header);
      }
      pending += refusedReportRow(line, reasons, cells);
      rows += 1;
      if (pending.length >= FLUSH_CHARS) flush();
    },
    close() {
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
