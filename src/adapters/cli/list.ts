// `ecat list [--status S] [--limit N] [--json]`: requests, outstanding by default, oldest first.
import { londonDate } from '../../domain/dates.ts';
import {
  presentRecord,
  REQUEST_STATUSES,
  type RequestRecord,
} from '../../domain/request/record.ts';
import { defineCommand, REDIS_UNREACHABLE, wholeNumber } from './command.ts';
import { EXIT, writeLine } from './io.ts';
import { withRuntime } from './with-runtime.ts';
import type { ListFilter } from '../../ports/request-store.ts';

const FILTERS: readonly ListFilter[] = ['outstanding', 'all', ...REQUEST_STATUSES];

export function summaryLine(record: RequestRecord): string {
  const { request } = record;
  return [
    record.id,
    record.status.padEnd(10),
    record.urgency.level.padEnd(7),
    request.environment.padEnd(4),
    request.dosServiceId.padEnd(10),
    request.odsCode.padEnd(8),
    (record.earliestTestDate ?? '-').padEnd(10),
    record.overdue ? 'OVERDUE' : '',
  ]
    .join('  ')
    .trimEnd();
}

/** The store reads at most this many in one page (adapters/redis/requests/read.ts). */
const MAX_LIMIT = 500;

export const command = defineCommand(
  {
    about: [
      'Oldest first, one line each: id, status, urgency, environment, DoS service, ODS code and',
      'earliest test date; OVERDUE marks one past its test date (CONTRACT.md).',
    ],
    options: {
      status: {
        type: 'string',
        short: 's',
        value: 'S',
        choices: FILTERS,
        default: 'outstanding',
        description: 'which requests',
      },
      limit: {
        type: 'string',
        short: 'n',
        value: 'N',
        default: String(MAX_LIMIT),
        description: `at most N requests, from 1 to ${MAX_LIMIT}`,
      },
      json: { type: 'boolean', description: 'print {items} as JSON, each the full record' },
    },
    exits: { 0: 'listed (also when there are none)', 3: REDIS_UNREACHABLE },
  },
  async ({ values }, io) => {
    const limit = wholeNumber('limit', values.limit, 1, MAX_LIMIT);
    // One of FILTERS: the declaration's choices are checked before the command runs.
    const filter = values.status as ListFilter;
    return withRuntime(io, async ({ store, foundation }) => {
      const today = londonDate(foundation.now());
      const page = await store.list(filter, { limit });
      // Overdue by CONTRACT.md's definition today, as the API and pages show it, swept or not.
      const items = page.items.map((record) => presentRecord(record, today));
      if (values.json) {
        writeLine(io.stdout, JSON.stringify({ items }, null, 2));
        return EXIT.ok;
      }
      if (items.length === 0) {
        writeLine(io.stdout, `no ${filter === 'all' ? '' : `${filter} `}requests`);
        return EXIT.ok;
      }
      writeLine(
        io.stdout,
        'id                                        status      urgency  env   service     ODS       test date',
      );
      for (const record of items) writeLine(io.stdout, summaryLine(record));
      if (page.nextCursor !== undefined) {
        writeLine(
          io.stderr,
          `ecat list: the first ${items.length} of ${page.total} (--limit N, up to ${MAX_LIMIT})`,
        );
      }
      return EXIT.ok;
    });
  },
);
