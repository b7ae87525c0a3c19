// `ecat import FILE.csv|-`: one request per row, as `ecat submit` would accept it, with a progress
// bar on a terminal; prints a summary and each refused row, and writes the refused rows (with their
// reasons) to a report file that can be fixed and imported again. The file is read a chunk at a
// time and each row's outcome is printed or written as it is settled, so memory stays bounded
// whatever the file's size (only `--json`, which answers with every row, keeps them). The import
// itself, its wording and its summary are shared with the upload page (use-cases/import/).
import { ENCODING_NOTE, importSummary } from '../../domain/import-summary.ts';
import type { CsvRecord } from '../../domain/csv/csv.ts';
import type { CsvInput } from '../../domain/csv/encoding.ts';
import type { Column } from '../../domain/csv/columns.ts';
import type { RowOutcome } from '../../use-cases/import/import-requests.ts';
import { describeFileProblem, openImport, runImport } from '../../use-cases/import/run-import.ts';
import { createProgress } from './progress.ts';
import { csvFromStdin, openCsvFile } from './csv-input.ts';
import { refusedReport, reportPath } from './refused-report.ts';
import { defineCommand, fileOperand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, writeLine, type CliIo } from './io.ts';
import { withRuntime } from './with-runtime.ts';
import { importMailLimits } from '../../wiring/imports.ts';
import type { Runtime } from '../../wiring/runtime.ts';

interface Job {
  path: string;
  input: CsvInput;
  header: CsvRecord;
  columns: Column[];
  rows: AsyncGenerator<CsvRecord>;
  json: boolean;
  report: string;
}

async function importWith(runtime: Runtime, io: CliIo, job: Job): Promise<number> {
  const rowsInFile = job.input.records === undefined ? undefined : job.input.records - 1;
  const progress = createProgress(io.stderr, rowsInFile, io.isTTY);
  const report = refusedReport(job.report, job.header.cells);
  // Only --json answers with every row; the text output needs the counts alone.
  const accepted: RowOutcome[] = [];
  const refused: RowOutcome[] = [];
  const onRow = (outcome: RowOutcome, soFar: { rows: number; refused: number }) => {
    if (outcome.outcome === 'refused') {
      report.add(outcome.line, outcome.reasons, outcome.cells);
      if (job.json) {
        refused.push(outcome);
      } else {
        progress.clear();
        writeLine(io.stderr, `line ${outcome.line}: refused`);
        for (const reason of outcome.reasons) writeLine(io.stderr, `  ${reason}`);
      }
    } else if (job.json) {
      accepted.push(outcome);
    }
    progress.update(soFar.rows, soFar.refused);
  };

  let run: Awaited<ReturnType<typeof runImport>>;
  try {
    run = await runImport(job.rows, job.columns, runtime.intakeDeps('import'), onRow);
  } finally {
    progress.finish();
    report.close();
  }

  const reportName = report.rows > 0 ? report.path : null;
  const windows1252 = job.input.encoding === 'windows-1252';
  if (job.json) {
    if (windows1252) writeLine(io.stderr, `import: ${job.path} ${ENCODING_NOTE}`);
    if (run.stopped) writeLine(io.stderr, `import: stopped: ${run.stopped}`);
    writeLine(io.stdout, JSON.stringify({ accepted, refused, report: reportName }, null, 2));
  } else {
    const summary = importSummary({
      name: job.path,
      ...run,
      encoding: job.input.encoding,
      mail: importMailLimits(runtime.config),
    });
    for (const line of summary) writeLine(io.stdout, line);
    if (reportName !== null) {
      writeLine(
        io.stdout,
        `refused rows with their reasons: ${reportName} (remove its line and reasons columns to import it again)`,
      );
    }
  }
  return run.counts.refused === 0 && run.stopped === undefined ? EXIT.ok : EXIT.refused;
}

export const command = defineCommand(
  {
    operand: fileOperand('the CSV file (from standard input, UTF-8 only)'),
    about: [
      'One request a row, each judged as `ecat submit` judges it (README, "Importing a CSV file").',
      'Progress goes to standard error; then a summary, and each refused row with its reasons. The',
      'refused rows are written to a report file that can be fixed and imported again.',
    ],
    options: {
      report: {
        type: 'string',
        value: 'PATH',
        description:
          'where to write the refused rows (default FILE.refused.csv beside the file, import-refused.csv for -)',
      },
      json: { type: 'boolean', description: 'print {accepted, refused, report} as JSON' },
    },
    exits: {
      0: 'every row accepted',
      1: 'some row refused, or the file is not CSV or its header does not fit',
      3: REDIS_UNREACHABLE,
    },
  },
  async ({ operand: path, values }, io) => {
    const input = path === '-' ? csvFromStdin(io.stdin) : await openCsvFile(path);
    const opened = await openImport(input);
    if (!opened.ok) {
      const { line, details } = describeFileProblem(path, opened.problem);
      writeLine(io.stderr, `refused: ${line}`);
      for (const detail of details) writeLine(io.stderr, `  ${detail}`);
      return EXIT.refused;
    }
    const job: Job = {
      path,
      input,
      header: opened.header,
      columns: opened.columns,
      rows: opened.rows,
      json: values.json,
      report: values.report ?? reportPath(path),
    };
    try {
      return await withRuntime(io, (runtime) => importWith(runtime, io, job));
    } finally {
      // Closes the file if the import ended before reading it all.
      await opened.rows.return(undefined);
    }
  },
);
