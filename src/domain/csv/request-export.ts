// The requests list as a CSV (GET /requests/export.csv, and `ecat export --format csv`): one row
// per request the filters match, urgency and overdue as rated on the day. The BaRS team opens it
// in a spreadsheet, so, like the import's refused-rows report, every cell goes through
// spreadsheetCell (a service named `=1+2` is written `'=1+2`) and the file starts with a UTF-8
// byte order mark for Excel.
import { londonDate } from '../dates.ts';
import type { ListedRequest } from '../request/listing.ts';
import { referenceFor } from '../request/reference.ts';
import { spreadsheetRow } from './csv.ts';

const BOM = '\uFEFF';

/** The columns, in order, each with how its cell is read from a listed request. */
const COLUMNS: readonly (readonly [string, (item: ListedRequest) => string])[] = [
  ['reference', ({ record }) => referenceFor(record.id)],
  ['id', ({ record }) => record.id],
  ['status', ({ record }) => record.status],
  ['environment', ({ record }) => record.request.environment],
  ['dosServiceId', ({ record }) => record.request.dosServiceId],
  ['odsCode', ({ record }) => record.request.odsCode],
  ['serviceName', ({ record }) => record.request.serviceName ?? ''],
  ['urgency', ({ urgency }) => urgency.level],
  ['firstTestDate', ({ record }) => record.earliestTestDate ?? ''],
  ['overdue', ({ overdue }) => (overdue ? 'yes' : 'no')],
  ['submittedOn', ({ record }) => londonDate(new Date(record.createdAt))],
  ['requesterName', ({ record }) => record.request.requester.name],
  ['requesterEmail', ({ record }) => record.request.requester.email],
  ['requesterOrganisation', ({ record }) => record.request.requester.organisation ?? ''],
];

export const REQUEST_EXPORT_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

/** The start of the file: the byte order mark and the header row. */
export const REQUEST_EXPORT_HEADER = BOM + spreadsheetRow(REQUEST_EXPORT_COLUMNS);

/** One request's row, CRLF included; `ecat export --format csv` writes them a page at a time. */
export function requestExportRow(item: ListedRequest): string {
  return spreadsheetRow(COLUMNS.map(([, cell]) => cell(item)));
}

/** The whole file: the header, then a row per request in the order given. */
export function requestExportCsv(items: readonly ListedRequest[]): string {
  return REQUEST_EXPORT_HEADER + items.map(requestExportRow).join('');
}
