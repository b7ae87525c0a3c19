// What an import says when it is over, in the same words from the command line and from the upload
// page: the counts, how the file was read, where it stopped, and how long its emails will take.
import type { TextEncoding } from './csv/encoding.ts';
import { describeForecast, forecastMail, type MailLimitsForForecast } from './mail-forecast.ts';

export const ENCODING_NOTE = 'read as Windows-1252 (the file is not UTF-8)';

export interface FinishedImport {
  /** The file as the user named it: a path, `-`, or the name of an upload. */
  name: string;
  counts: { rows: number; accepted: number; refused: number };
  /** Lookups that reached the DoS directory (the rest were answered from the import's cache). */
  lookups: number;
  encoding: TextEncoding;
  /** Why the import stopped before the end of the file (a pipe's broken quote), if it did. */
  stopped?: string;
  /** The mail limits, when emails go to an SMTP server (the outbox has no rate to forecast). */
  mail?: MailLimitsForForecast;
}

export function importSummary(done: FinishedImport): string[] {
  const { counts } = done;
  const lines = [
    `imported ${done.name}: ${counts.rows} rows, ${counts.accepted} accepted, ${counts.refused} refused; ` +
      `${done.lookups} directory lookups`,
  ];
  if (done.encoding === 'windows-1252') lines.push(ENCODING_NOTE);
  if (done.stopped !== undefined) {
    lines.push(`stopped: ${done.stopped}; the rows after it were not read`);
  }
  if (done.mail && counts.accepted > 0) {
    lines.push(`mail: ${describeForecast(forecastMail(counts.accepted, done.mail), done.mail)}`);
  }
  return lines;
}
