// `ecat list [--status S] [--json]`: requests, outstanding by default, oldest first.
import { londonDate } from '../../domain/dates.ts';
import {
  presentRecord,
  REQUEST_STATUSES,
  type RequestRecord,
} from '../../domain/request/record.ts';
import { EXIT, UsageError, writeLine, type Command } from './io.ts';
import { parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';
import type { ListFilter } from '../../ports/request-store.ts';

const FILTERS: readonly string[] = ['outstanding', 'all', ...REQUEST_STATUSES];

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

export const run: Command = async (args, io) => {
  const { positional, flags, options } = parseArgs(args, {
    flags: ['--json'],
    options: ['--status', '--limit'],
  });
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const filter = options.get('--status') ?? 'outstanding';
  if (!FILTERS.includes(filter)) {
    throw new UsageError(`--status must be one of ${FILTERS.join(', ')}, got '${filter}'`);
  }
  const limit = Number(options.get('--limit') ?? '500');
  return withRuntime(io, async ({ store, foundation }) => {
    const today = londonDate(foundation.now());
    const items: RequestRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list(filter as ListFilter, { limit: Math.min(limit, 500), cursor });
      // Overdue by CONTRACT.md's definition today, as the API and pages show it, swept or not.
      items.push(...page.items.map((record) => presentRecord(record, today)));
      cursor = page.nextCursor;
    } while (cursor !== undefined && items.length < limit);
    if (flags.has('--json')) {
      writeLine(io.stdout, JSON.stringify({ items }, null, 2));
    } else if (items.length === 0) {
      writeLine(io.stdout, `no ${filter === 'all' ? '' : `${filter} `}requests`);
    } else {
      writeLine(
        io.stdout,
        'id                                        status      urgency  env   service     ODS       test date',
      );
      for (const record of items) writeLine(io.stdout, summaryLine(record));
    }
    return EXIT.ok;
  });
};
