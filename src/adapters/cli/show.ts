// `ecat show ID [--json]`: one request, its findings and its history. With `--archive FILE`, the
// request as an archive (`ecat archive`) holds it, read from the file without Redis.
import { actorName } from '../../domain/people/person.ts';
import { londonDate, type IsoDate } from '../../domain/dates.ts';
import { presentRecord, type RequestRecord } from '../../domain/request/record.ts';
import { systemClock } from '../../wiring/foundation.ts';
import { findInArchive } from './archive-file.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, writeLine, type CliIo } from './io.ts';
import { withRuntime } from './with-runtime.ts';

/** The record as `ecat show` prints it, live or archived alike. */
function printRecord(io: CliIo, stored: RequestRecord, today: IsoDate, json: boolean): void {
  const record = presentRecord(stored, today);
  if (json) {
    writeLine(io.stdout, JSON.stringify(record, null, 2));
    return;
  }
  const { request } = record;
  const lines = [
    `${record.id}: ${record.status}${record.overdue ? ' (OVERDUE)' : ''}`,
    `  DoS service ${request.dosServiceId} (${request.environment})${request.serviceName ? `, ${request.serviceName}` : ''}, ODS ${request.odsCode}`,
    `  endpoint: ${request.endpoint}`,
    `  urgency: ${record.urgency.level} (${record.urgency.reason})`,
    `  CareConnect: ${record.careConnect.status}${record.careConnect.address ? ` ${record.careConnect.address}` : ''}`,
    `  requester: ${request.requester.name} <${request.requester.email}>`,
    `  Message-ID: ${record.messageId}`,
    ...record.warnings.map((warning) => `  warning: ${warning}`),
    // Each line of the notes indented under its heading, so none can pass for ecat's own.
    ...(request.notes === undefined
      ? []
      : ['  notes:', ...request.notes.split(/\r\n|\n|\r/).map((line) => `    ${line}`)]),
    'history:',
    ...record.history.map(
      (entry) =>
        `  ${entry.at}  ${entry.event.padEnd(10)} ${entry.reason}${entry.actor ? ` (by ${actorName(entry.actor)})` : ''}`,
    ),
  ];
  for (const line of lines) writeLine(io.stdout, line);
}

export const command = defineCommand(
  {
    operand: { name: 'ID', description: 'the request id (req-…), as `ecat list` shows it' },
    about: [
      'Its service, urgency, CareConnect finding, requester, warnings and notes, then its history.',
    ],
    options: {
      json: { type: 'boolean', description: 'print the request record as JSON' },
      archive: {
        type: 'string',
        value: 'FILE',
        description: 'read it from an archive `ecat archive` wrote, not from Redis',
      },
    },
    exits: { 0: 'shown', 1: 'no request has that id (in the archive)', 3: REDIS_UNREACHABLE },
  },
  async ({ operand: id, values }, io) => {
    if (values.archive !== undefined) {
      const archived = await findInArchive(values.archive, id);
      if (!archived) {
        writeLine(io.stderr, `ecat show: no request ${id} in ${values.archive}`);
        return EXIT.refused;
      }
      printRecord(io, archived, londonDate(systemClock()), values.json);
      return EXIT.ok;
    }
    return withRuntime(io, async ({ store, foundation }) => {
      const stored = await store.get(id);
      if (!stored) {
        writeLine(io.stderr, `ecat show: no request ${id}`);
        return EXIT.refused;
      }
      printRecord(io, stored, londonDate(foundation.now()), values.json);
      return EXIT.ok;
    });
  },
);
