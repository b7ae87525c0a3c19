// Request records made whole, for tests that need many, old or closed requests in Redis at once:
// `recordOf(n, options)` builds one of any status and age, and `recordStore(redis, prefix)` is the
// real store without jobs, so `seed` files thousands in a second (store.acceptMany, 500 a batch).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRequestStore } from '../../src/adapters/redis/requests/redis-request-store.ts';
import { ACTORS } from '../../src/domain/people/person.ts';
import type {
  HistoryEntry,
  RequestRecord,
  RequestStatus,
} from '../../src/domain/request/record.ts';
import type { RequestStore } from '../../src/ports/request-store.ts';
import { VALID_REQUESTER, VALID_SERVICE } from './ecat.ts';

export interface RecordOptions {
  status?: RequestStatus;
  /** When it was accepted and last changed (ISO instant). */
  at?: string;
  /** More history entries, each `padding` characters of reason: a record of realistic bulk. */
  extraHistory?: number;
  padding?: number;
  request?: Partial<RequestRecord['request']>;
}

/** Request `n`: its own DoS Service ID (3000000000 + n), so outstanding ones never collide. */
export function recordOf(n: number, options: RecordOptions = {}): RequestRecord {
  const { status = 'configured', at = '2025-01-15T10:00:00.000Z' } = options;
  const id = `req-${randomUUID()}`;
  const entry = (event: string, entryStatus: RequestStatus, reason: string): HistoryEntry => ({
    at,
    status: entryStatus,
    event,
    reason,
    actor: ACTORS.cli,
  });
  const history = [
    entry('queued', 'queued', 'accepted through test: urgency routine; CareConnect careconnect'),
    ...Array.from({ length: options.extraHistory ?? 0 }, (_, i) =>
      entry('recheck', 'queued', `check ${i} `.padEnd(options.padding ?? 0, 'x')),
    ),
    ...(status === 'queued' ? [] : [entry(status, status, `${status} by hand`)]),
  ];
  return {
    id,
    request: {
      ...VALID_SERVICE,
      environment: 'INT',
      dosServiceId: String(3_000_000_000 + n),
      endpoint: 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      serviceName: `Test service ${n}`,
      requester: { ...VALID_REQUESTER },
      ...options.request,
    },
    urgency: { level: 'routine', workingDays: null, reason: 'no test dates given' },
    careConnect: { status: 'careconnect', address: 'ASID:200000000123', detail: 'found in DoS' },
    warnings: [],
    status,
    messageId: `<${id}@ecat.test>`,
    createdAt: at,
    updatedAt: at,
    overdue: false,
    history,
  };
}

/** The real request store on `prefix`, with no jobs: records only, as fast as Redis takes them. */
export function recordStore(redis: Redis, prefix: string): RequestStore {
  return createRequestStore(
    redis,
    prefix,
    () => new Date(),
    () => Promise.resolve(),
  );
}

/** Files every record, `batch` to a transaction; throws if any was refused as a duplicate. */
export async function seed(
  store: RequestStore,
  records: readonly RequestRecord[],
  batch = 500,
): Promise<void> {
  for (let i = 0; i < records.length; i += batch) {
    const slice = records.slice(i, i + batch);
    const results = await store.acceptMany(slice.map((record) => ({ record })));
    const refused = results.filter((result) => !result.ok).length;
    if (refused > 0) throw new Error(`${refused} records refused as duplicates`);
  }
}
