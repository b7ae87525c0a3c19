// An import as `ecat import` and the upload page's worker both run it: the file refused whole when
// it is not CSV or its header does not fit, then every row through importRecords with the directory
// asked once per organisation, at its shared pace (DIRECTORY_RATE_LIMIT), counting as it goes. Each
// entrance shows the outcomes its own way (a terminal, a progress page) but words the file's
// problems alike.
import { CSV_COLUMNS, resolveHeader, type Column } from '../../domain/csv/columns.ts';
import { CsvSyntaxError, type CsvRecord } from '../../domain/csv/csv.ts';
import { NotUtf8Error, type CsvInput } from '../../domain/csv/encoding.ts';
import type { IntakeDeps, Submitter } from '../submit.ts';
import { importRecords, type ImportCounts, type RowOutcome } from './import-requests.ts';
import { sharedLookups } from './shared-lookups.ts';

/** What stops an import part way: the input, not ecat or Redis. */
function stopReason(error: unknown): string | undefined {
  if (error instanceof CsvSyntaxError) return `not valid CSV at ${error.message}`;
  if (error instanceof NotUtf8Error) return error.message;
  return undefined;
}

/** Why a whole file is refused before any row is stored. */
export type FileProblem =
  | { kind: 'not-csv'; error: CsvSyntaxError }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'empty' }
  | { kind: 'header'; line: number; errors: string[] };

/** The problem in one line naming the file as the user did, with the details to list under it. */
export function describeFileProblem(
  name: string,
  problem: FileProblem,
): { line: string; details: string[] } {
  switch (problem.kind) {
    case 'not-csv':
      return { line: `${name} is not valid CSV: ${problem.error.message}`, details: [] };
    case 'unreadable':
      return { line: `${name}: ${problem.reason}`, details: [] };
    case 'empty':
      return {
        line: `${name} is empty; the first line must name the columns:`,
        details: [CSV_COLUMNS.map((column) => column.name).join(',')],
      };
    case 'header':
      return { line: `the header (line ${problem.line}) does not fit:`, details: problem.errors };
  }
}

export type OpenedImport =
  | { ok: true; header: CsvRecord; columns: Column[]; rows: AsyncGenerator<CsvRecord> }
  | { ok: false; problem: FileProblem };

/**
 * Refuses a file the scan found broken, then takes the header off its records and matches it to
 * the columns. When it is ok the caller owns `rows` and closes them (`rows.return()`), so a file
 * is not left open by an import that ends early.
 */
export async function openImport(input: CsvInput): Promise<OpenedImport> {
  if (input.syntaxError)
    return { ok: false, problem: { kind: 'not-csv', error: input.syntaxError } };
  const rows = input.read();
  let first: IteratorResult<CsvRecord>;
  try {
    first = await rows.next();
  } catch (error) {
    await rows.return(undefined);
    // A header broken in the same way is worded the same whether the scan or the read found it.
    if (error instanceof CsvSyntaxError) return { ok: false, problem: { kind: 'not-csv', error } };
    const reason = stopReason(error);
    if (reason === undefined) throw error;
    return { ok: false, problem: { kind: 'unreadable', reason } };
  }
  if (first.done === true) {
    await rows.return(undefined);
    return { ok: false, problem: { kind: 'empty' } };
  }
  const header = first.value;
  const resolved = resolveHeader(header.cells);
  if (!resolved.ok) {
    await rows.return(undefined);
    return { ok: false, problem: { kind: 'header', line: header.line, errors: resolved.errors } };
  }
  return { ok: true, header, columns: resolved.columns, rows };
}

export interface ImportRun {
  counts: ImportCounts;
  /** Lookups that reached the directory; the rest shared an earlier answer. */
  lookups: number;
  /** Why the rows ran out before the end of the input (a pipe's broken quote), if they did. */
  stopped?: string;
}

/** Imports the rows after the header, each outcome handed to `onRow` with the counts so far. */
export async function runImport(
  rows: AsyncIterable<CsvRecord>,
  columns: readonly Column[],
  deps: IntakeDeps,
  onRow: (outcome: RowOutcome, soFar: Readonly<ImportCounts>) => void,
  /** The person who uploaded the file, when known; otherwise the history names the import. */
  submitter?: Submitter,
): Promise<ImportRun> {
  const directory = sharedLookups(deps.directory);
  // Counted here rather than taken from importRecords, which throws away its counts when it stops.
  const counts: ImportCounts = { rows: 0, accepted: 0, refused: 0 };
  const count = (outcome: RowOutcome) => {
    counts.rows += 1;
    counts[outcome.outcome] += 1;
    onRow(outcome, counts);
  };
  try {
    await importRecords(
      rows,
      columns,
      { ...deps, directory },
      { onRow: count, ...(submitter ? { submitter } : {}) },
    );
  } catch (error) {
    const stopped = stopReason(error);
    if (stopped === undefined) throw error;
    return { counts, lookups: directory.lookups, stopped };
  }
  return { counts, lookups: directory.lookups };
}
