// `ecat export [--format ndjson|csv] [--status S]`: every request of a list to standard output,
// read from Redis a page at a time and written as the reader takes it (waiting for 'drain'), so
// memory stays flat whatever the count. NDJSON is each record as stored, one a line (the shape of
// an archive's lines); CSV is the web's download (GET /requests/export.csv): the same columns,
// urgency as of today, every cell safe for a spreadsheet (domain/csv/request-export.ts).
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { REQUEST_EXPORT_HEADER, requestExportRow } from '../../domain/csv/request-export.ts';
import { londonDate } from '../../domain/dates.ts';
import { REQUEST_STATUSES, type RequestRecord } from '../../domain/request/record.ts';
import { escapeControls } from '../../domain/request/text.ts';
import { listedOn, type UrgencyRating } from '../../domain/request/urgency-today.ts';
import type { ListFilter } from '../../ports/request-store.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT } from './io.ts';
import { withRuntime } from './with-runtime.ts';

const FILTERS: readonly ListFilter[] = ['outstanding', 'all', ...REQUEST_STATUSES];
const FORMATS = ['ndjson', 'csv'] as const;
/** Records read at a time: the store's largest page (adapters/redis/requests/read.ts). */
const PAGE = 500;

/**
 * Writes `text` and, when the stream's buffer is full, waits until the reader has taken it: a
 * slow reader (a pipe to gzip, a remote shell) then slows the reads from Redis instead of
 * filling memory with pages waiting to be written.
 */
async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/**
 * One record in the chosen format. As everything the CLI prints, its control characters are
 * written as \uXXXX (io.ts): in NDJSON that is the JSON escape of the same character; a CSV row
 * keeps only its CRLF ending (no cell ecat accepts holds a control character).
 */
function formatter(
  format: (typeof FORMATS)[number],
  today: string,
  rating: UrgencyRating,
): (record: RequestRecord) => string {
  if (format === 'ndjson') return (record) => `${escapeControls(JSON.stringify(record))}\n`;
  return (record) =>
    `${escapeControls(requestExportRow(listedOn(record, today, rating)).slice(0, -2))}\r\n`;
}

export const command = defineCommand(
  {
    about: [
      'Oldest first, read from Redis a page at a time, so any number of requests can be exported.',
      'ndjson: one JSON record a line, as Redis holds it (history included). csv: the columns of',
      "the web's CSV download, each cell safe for a spreadsheet (a value starting =, +, - or @ is",
      "written after a '). Both hold personal data: write them only where they are protected.",
    ],
    options: {
      format: {
        type: 'string',
        short: 'f',
        value: 'F',
        choices: FORMATS,
        default: 'ndjson',
        description: 'the output format',
      },
      status: {
        type: 'string',
        short: 's',
        value: 'S',
        choices: FILTERS,
        default: 'all',
        description: 'which requests',
      },
    },
    exits: { 0: 'exported (also when there are none)', 3: REDIS_UNREACHABLE },
  },
  async ({ values }, io) => {
    // Both among the declared choices, checked before the command runs.
    const filter = values.status as ListFilter;
    const format = values.format as (typeof FORMATS)[number];
    return withRuntime(io, async ({ store, foundation }) => {
      const today = londonDate(foundation.now());
      const line = formatter(format, today, {
        calendar: foundation.calendar,
        thresholds: foundation.thresholds,
      });
      if (format === 'csv') await write(io.stdout, REQUEST_EXPORT_HEADER);
      // Read by position, as `ecat list` pages: a request accepted meanwhile can push the last of
      // a page onto the next, so ids of the page before are not written twice.
      let previous = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.list(filter, { limit: PAGE, ...(cursor ? { cursor } : {}) });
        const fresh = page.items.filter((record) => !previous.has(record.id));
        previous = new Set(page.items.map((record) => record.id));
        if (fresh.length > 0) await write(io.stdout, fresh.map(line).join(''));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return EXIT.ok;
    });
  },
);
