// `ecat import FILE.csv|-`: one request per row, as `ecat submit` would accept it, with a progress
// bar on a terminal; prints a summary and each refused row, and writes the refused rows (with their
// reasons) to a report file that can be fixed and imported again.
import { readFile, writeFile } from 'node:fs/promises';
import { describeForecast, forecastMail } from '../../domain/mail-forecast.ts';
import type { Readable } from 'node:stream';
import { CSV_COLUMNS, resolveHeader } from '../../domain/csv/columns.ts';
import { CsvSyntaxError, formatCsv, parseCsv } from '../../domain/csv/csv.ts';
import { importRows, type RowOutcome } from '../../use-cases/import/import-requests.ts';
import { createProgress } from './progress.ts';
import { createRateLimiter } from '../../use-cases/rate-limiter.ts';
import { throttledDirectory } from '../../use-cases/import/throttled-directory.ts';
import { EXIT, UsageError, writeLine, type Command } from './io.ts';
import { onePath, parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';

/** The DoS Search API's limit (DOMAIN.md)… */
const DIRECTORY_REQUESTS_PER_SECOND = 10;
/** …counted over a slightly longer window, for the time between our limiter and the API's edge. */
const DIRECTORY_WINDOW_MS = 1100;

async function readText(path: string, stdin: Readable): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code}`,
    );
  }
}

export function reportPath(input: string): string {
  if (input === '-') return 'import-refused.csv';
  return `${input.replace(/\.csv$/i, '')}.refused.csv`;
}

export const run: Command = async (args, io) => {
  const { positional, flags, options } = parseArgs(args, {
    flags: ['--json'],
    options: ['--report'],
  });
  const path = onePath(positional);
  const text = await readText(path, io.stdin);

  let rows;
  try {
    rows = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    writeLine(io.stderr, `refused: ${path} is not valid CSV: ${error.message}`);
    return EXIT.refused;
  }
  const [header, ...data] = rows;
  if (!header) {
    writeLine(io.stderr, `refused: ${path} is empty; the first line must name the columns:`);
    writeLine(io.stderr, `  ${CSV_COLUMNS.map((column) => column.name).join(',')}`);
    return EXIT.refused;
  }
  const resolved = resolveHeader(header.cells);
  if (!resolved.ok) {
    writeLine(io.stderr, `refused: the header (line ${header.line}) does not fit:`);
    for (const error of resolved.errors) writeLine(io.stderr, `  ${error}`);
    return EXIT.refused;
  }

  return withRuntime(io, async (runtime) => {
    const deps = runtime.intakeDeps('import');
    const directory = throttledDirectory(
      deps.directory,
      createRateLimiter(DIRECTORY_REQUESTS_PER_SECOND, DIRECTORY_WINDOW_MS),
    );
    const progress = createProgress(io.stderr, data.length, io.isTTY);
    let done = 0;
    let refusedSoFar = 0;
    const outcomes: RowOutcome[] = await importRows(
      data,
      resolved.columns,
      { ...deps, directory },
      {
        onRow(outcome) {
          done += 1;
          if (outcome.outcome === 'refused') refusedSoFar += 1;
          progress.update(done, refusedSoFar);
        },
      },
    );
    progress.finish();

    const accepted = outcomes.filter((outcome) => outcome.outcome === 'accepted');
    const refused = outcomes.filter((outcome) => outcome.outcome === 'refused');
    const report = options.get('--report') ?? reportPath(path);
    if (refused.length > 0) {
      await writeFile(
        report,
        formatCsv([
          ['line', 'reasons', ...header.cells],
          ...refused.map((row) => [String(row.line), row.reasons.join('; '), ...row.cells]),
        ]),
        'utf8',
      );
    }
    if (flags.has('--json')) {
      writeLine(
        io.stdout,
        JSON.stringify({ accepted, refused, report: refused.length > 0 ? report : null }, null, 2),
      );
    } else {
      for (const row of refused) {
        writeLine(io.stderr, `line ${row.line}: refused`);
        for (const reason of row.reasons) writeLine(io.stderr, `  ${reason}`);
      }
      writeLine(
        io.stdout,
        `imported ${path}: ${data.length} rows, ${accepted.length} accepted, ${refused.length} refused; ` +
          `${directory.lookups} directory lookups`,
      );
      const { mail } = runtime.config;
      if (mail.smtpUrl && accepted.length > 0) {
        const limits = { ...mail.rate, dailyRecipients: mail.dailyRecipients };
        writeLine(
          io.stdout,
          `mail: ${describeForecast(forecastMail(accepted.length, limits), limits)}`,
        );
      }
      if (refused.length > 0) {
        writeLine(
          io.stdout,
          `refused rows with their reasons: ${report} (remove its line and reasons columns to import it again)`,
        );
      }
    }
    return refused.length === 0 ? EXIT.ok : EXIT.refused;
  });
};
