// The worker's side of the upload page: a file uploaded on the web is imported as `ecat import`
// imports a file (run-import.ts), its tally and refused rows written to the Imports port every
// PROGRESS_EVERY rows for the progress page, and the same summary lines at the end.
import { personActor } from '../../domain/people/person.ts';
import type { Logger } from 'pino';
import { importSummary } from '../../domain/import-summary.ts';
import type { MailLimitsForForecast } from '../../domain/mail-forecast.ts';
import { openCsvBytes, slicesOf } from '../../domain/csv/encoding.ts';
import { refusedReportHeader, refusedReportRow } from '../../domain/csv/refused-rows.ts';
import type { ImportJobData, Imports, ImportTally } from '../../ports/imports.ts';
import type { RunningJob } from '../../ports/jobs.ts';
import type { IntakeDeps } from '../submit.ts';
import type { RowOutcome } from './import-requests.ts';
import { describeFileProblem, openImport, runImport } from './run-import.ts';

/** Rows between two progress writes: the page refreshes every 2 s, so this is often enough. */
export const PROGRESS_EVERY = 100;

export interface ImportUploadDeps {
  imports: Imports;
  intake: IntakeDeps;
  /** Set when emails go to an SMTP server: the summary then forecasts how long they take. */
  mail?: MailLimitsForForecast;
  log: Logger;
}

/**
 * Progress writes in order, one at a time, without holding up the import (the rows are settled
 * synchronously); the first failed write is kept and thrown by `done`.
 */
function progressWriter(id: string, imports: Imports, header: readonly string[]) {
  let pending = '';
  let headerWritten = false;
  let since = 0;
  let writes: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  let last: ImportTally = { rows: 0, accepted: 0, refused: 0 };
  const flush = (tally: Readonly<ImportTally>) => {
    const text = pending;
    const snapshot = { ...tally };
    pending = '';
    since = 0;
    writes = writes.then(async () => {
      if (failure === undefined) await imports.progress(id, snapshot, text);
    });
    writes = writes.catch((error: unknown) => {
      failure ??=
        error instanceof Error
          ? error
          : new Error('the progress could not be written', { cause: error });
    });
  };
  return {
    /** The counts as the last settled row left them. */
    lastTally: (): Readonly<ImportTally> => last,
    onRow: (outcome: RowOutcome, tally: Readonly<ImportTally>) => {
      last = { ...tally };
      if (outcome.outcome === 'refused') {
        if (!headerWritten) pending += refusedReportHeader(header);
        headerWritten = true;
        pending += refusedReportRow(outcome.line, outcome.reasons, outcome.cells);
      }
      since += 1;
      if (since >= PROGRESS_EVERY) flush(tally);
    },
    async done(tally: Readonly<ImportTally>) {
      flush(tally);
      await writes;
      if (failure !== undefined) throw failure;
    },
  };
}

/** Runs one import job; answers the line the queue's dashboard shows. */
export async function importUpload(
  job: RunningJob<ImportJobData>,
  deps: ImportUploadDeps,
): Promise<string> {
  const { importId } = job.data;
  const status = await deps.imports.status(importId);
  // The upload (up to the size limit) is read only for an import that is still known.
  const bytes = status === undefined ? undefined : await deps.imports.upload(importId);
  if (status === undefined || bytes === undefined) {
    // Gone: no worker took the job before the upload expired (the Redis adapter keeps it a day).
    // Nothing was stored, so the import is refused, not stopped part way.
    if (status !== undefined) {
      await deps.imports.finish(importId, 'refused', [
        'the uploaded file was no longer kept when a worker came to it: upload it again',
      ]);
    }
    return `import ${importId}: the upload is gone`;
  }
  const name = status.fileName;
  const input = await openCsvBytes(() => slicesOf(bytes));
  const opened = await openImport(input);
  if (!opened.ok) {
    const { line, details } = describeFileProblem(name, opened.problem);
    await deps.imports.finish(importId, 'refused', [line, ...details]);
    return `refused: ${line}`;
  }
  try {
    // The scan counted the records; the header is one of them.
    await deps.imports.begin(importId, (input.records ?? 1) - 1);
    const writer = progressWriter(importId, deps.imports, opened.header.cells);
    let run: Awaited<ReturnType<typeof runImport>>;
    try {
      // The uploader's requests: theirs to see and change, named in each history.
      const uploader = status.uploadedBy;
      run = await runImport(
        opened.rows,
        opened.columns,
        deps.intake,
        writer.onRow,
        uploader ? { actor: personActor(uploader), submittedBy: uploader } : undefined,
      );
    } catch (error) {
      // The rows settled since the last write still reach the page and the report before the
      // job fails: its "stopped" page counts them. A failure of that write is not the cause.
      await writer.done(writer.lastTally()).catch(() => undefined);
      throw error;
    }
    await writer.done(run.counts);
    const summary = importSummary({ name, ...run, encoding: input.encoding, mail: deps.mail });
    await deps.imports.finish(importId, 'done', summary);
    deps.log.info({ importId }, summary[0]);
    return summary.join('; ');
  } finally {
    await opened.rows.return(undefined);
  }
}

/** Records an import whose job failed for good, so its page stops waiting and says why. */
export async function importFailed(imports: Imports, id: string, reason: string): Promise<void> {
  await imports.finish(id, 'failed', [`the import stopped: ${reason}`]);
}
