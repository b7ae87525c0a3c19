// The refused-rows report of an import, as text: the file's own columns after two of ours, `line`
// and `reasons`. A user opens it in a spreadsheet, so every cell goes through spreadsheetCell (a
// formula-like value is written as text), and it starts with a UTF-8 byte order mark, without which
// Excel reads UTF-8 as the machine's code page ("CafÃ©"). The command line writes it to a file, the
// upload page's worker to Redis; both write these lines.
import { spreadsheetRow } from './csv.ts';

const BOM = '\uFEFF';

/** The report's first line, before its first row. */
export function refusedReportHeader(header: readonly string[]): string {
  return BOM + spreadsheetRow(['line', 'reasons', ...header]);
}

/** One refused row with its line in the imported file and its reasons. */
export function refusedReportRow(
  line: number,
  reasons: readonly string[],
  cells: readonly string[],
): string {
  return spreadsheetRow([String(line), reasons.join('; '), ...cells]);
}
