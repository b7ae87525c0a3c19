// `ecat import FILE.csv|-`: one request per row, as `ecat submit` would accept it, with a progress
// bar on a terminal; prints a summary and each refused row, and writes the refused rows (with their
// reasons) to a report file that can be fixed and imported again. The file is read a chunk at a
// time and each row's outcome is printed or written as it is settled, so memory stays bounded
// whatever the file's size (only `--json`, which answers with every row, keeps them).
import { describeForecast, forecastMail } from '../../domain/mail-forecast.ts';
import { CSV_COLUMNS, resolveHeader, type Column } from '../../domain/csv/columns.ts';
import { CsvSyntaxError, type CsvRecord } from '../../domain/csv/csv.ts';
import { importRecords, type RowOutcome } from '../../use-cases/import/import-requests.ts';
import { createProgress } from './progress.ts';
import { createRateLimiter } from '../../use-cases/rate-limiter.ts';
import { throttledDirectory } from '../../use-cases/import/throttled-directory.ts';
import { csvFromStdin, NotUtf8Error, openCsvFile, type CsvInput } from './csv-input.ts';
import { refusedReport, reportPath } from './refused-report.ts';
import { EXIT, writeLine, type CliIo, type Command } from './io.ts';
import { onePath, parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';
import type { Runtime } from '../../wiring/runtime.ts';

/** The DoS Search API's limit (DOMAIN.md)… */
const DIRECTORY_REQUESTS_PER_SECOND = 10;
/** …counted over a slightly longer window, for the time between our limiter and the API's edge. */
const DIRECTORY_WINDOW_MS = 1100;

const ENCODING_NOTE = 'read as Windows-1252 (the file is not UTF-8)';

/** What stops an import part way: the input, not ecat or Redis. */
function stopReason(error: unknown): string | undefined {
  if (error instanceof CsvSyntaxError) return `not valid CSV at ${error.message}`;
  if (error instanceof NotUtf8Error) return error.message;
  return undefined;
}

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
  const deps = runtime.intakeDeps('import');
  const directory = throttledDirectory(
    deps.directory,
    createRateLimiter(DIRECTORY_REQUESTS_PER_SECOND, DIRECTORY_WINDOW_MS),
  );
  const rowsInFile = job.input.records === undefined ? undefined : job.input.records - 1;
  const progress = createProgress(io.stderr, rowsInFile, io.isTTY);
  const report = refusedReport(job.report, job.header.cells);
  // Only --json answers with every row; the text output needs the counts alone.
  const accepted: RowOutcome[] = [];
  const refused: RowOutcome[] = [];
  const counts = { rows: 0, accepted: 0, refused: 0 };
  const onRow = (outcome: RowOutcome) => {
    counts.rows += 1;
    counts[outcome.outcome] += 1;
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
    progress.update(counts.rows, counts.refused);
  };

  let stopped: string | undefined;
  try {
    await importRecords(job.rows, job.columns, { ...deps, directory }, { onRow });
  } catch (error) {
    stopped = stopReason(error);
    if (stopped === undefined) throw error;
  } finally {
    progress.finish();
    report.close();
  }

  const reportName = report.rows > 0 ? report.path : null;
  const windows1252 = job.input.encoding === 'windows-1252';
  if (job.json) {
    if (windows1252) writeLine(io.stderr, `import: ${job.path} ${ENCODING_NOTE}`);
    if (stopped) writeLine(io.stderr, `import: stopped: ${stopped}`);
    writeLine(io.stdout, JSON.stringify({ accepted, refused, report: reportName }, null, 2));
  } else {
    writeLine(
      io.stdout,
      `imported ${job.path}: ${counts.rows} rows, ${counts.accepted} accepted, ${counts.refused} refused; ` +
        `${directory.lookups} directory lookups`,
    );
    if (windows1252) writeLine(io.stdout, ENCODING_NOTE);
    if (stopped) {
      writeLine(io.stdout, `stopped: ${stopped}; the rows after it were not read`);
    }
    const { mail } = runtime.config;
    if (mail.smtpUrl && counts.accepted > 0) {
      const limits = { ...mail.rate, dailyRecipients: mail.dailyRecipients };
      writeLine(
        io.stdout,
        `mail: ${describeForecast(forecastMail(counts.accepted, limits), limits)}`,
      );
    }
    if (reportName !== null) {
      writeLine(
        io.stdout,
        `refused rows with their reasons: ${reportName} (remove its line and reasons columns to import it again)`,
      );
    }
  }
  return counts.refused === 0 && stopped === undefined ? EXIT.ok : EXIT.refused;
}

export const run: Command = async (args, io) => {
  const { positional, flags, options } = parseArgs(args, {
    flags: ['--json'],
    options: ['--report'],
  });
  const path = onePath(positional);
  const input = path === '-' ? csvFromStdin(io.stdin) : await openCsvFile(path);
  if (input.syntaxError) {
    writeLine(io.stderr, `refused: ${path} is not valid CSV: ${input.syntaxError.message}`);
    return EXIT.refused;
  }
  const rows = input.read();
  try {
    let first: IteratorResult<CsvRecord>;
    try {
      first = await rows.next();
    } catch (error) {
      const reason = stopReason(error);
      if (reason === undefined) throw error;
      writeLine(io.stderr, `refused: ${path}: ${reason}`);
      return EXIT.refused;
    }
    if (first.done === true) {
      writeLine(io.stderr, `refused: ${path} is empty; the first line must name the columns:`);
      writeLine(io.stderr, `  ${CSV_COLUMNS.map((column) => column.name).join(',')}`);
      return EXIT.refused;
    }
    const header = first.value;
    const resolved = resolveHeader(header.cells);
    if (!resolved.ok) {
      writeLine(io.stderr, `refused: the header (line ${header.line}) does not fit:`);
      for (const error of resolved.errors) writeLine(io.stderr, `  ${error}`);
      return EXIT.refused;
    }
    const job: Job = {
      path,
      input,
      header,
      columns: resolved.columns,
      rows,
      json: flags.has('--json'),
      report: options.get('--report') ?? reportPath(path),
    };
    return await withRuntime(io, (runtime) => importWith(runtime, io, job));
  } finally {
    // Closes the file if the import ended before reading it all.
    await rows.return(undefined);
  }
};
