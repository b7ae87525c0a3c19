// `ecat show ID [--json]`: one request, its findings and its history.
import { actorName } from '../../domain/people/person.ts';
import { londonDate } from '../../domain/dates.ts';
import { presentRecord } from '../../domain/request/record.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, writeLine } from './io.ts';
import { withRuntime } from './with-runtime.ts';

export const command = defineCommand(
  {
    operand: { name: 'ID', description: 'the request id (req-…), as `ecat list` shows it' },
    about: [
      'Its service, urgency, CareConnect finding, requester, warnings and notes, then its history.',
    ],
    options: {
      json: { type: 'boolean', description: 'print the request record as JSON' },
    },
    exits: { 0: 'shown', 1: 'no request has that id', 3: REDIS_UNREACHABLE },
  },
  async ({ operand: id, values }, io) => {
    return withRuntime(io, async ({ store, foundation }) => {
      const stored = await store.get(id);
      if (!stored) {
        writeLine(io.stderr, `ecat show: no request ${id}`);
        return EXIT.refused;
      }
      const record = presentRecord(stored, londonDate(foundation.now()));
      if (values.json) {
        writeLine(io.stdout, JSON.stringify(record, null, 2));
        return EXIT.ok;
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
      return EXIT.ok;
    });
  },
);
