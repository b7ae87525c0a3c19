// Bulk intake: each CSV row is assessed as a submitted request would be, and the accepted rows
// of each batch are recorded and queued together in one MULTI (records, send jobs, chasers).
// Rows are settled in file order, so of two rows for the same service the earlier one wins. The
// rows are pulled a batch at a time from any source, and each outcome is handed on, not kept: a
// file of any size is imported in bounded memory.
import { assessRequest } from '../assess.ts';
import {
  duplicateOf,
  newRequestRecord,
  withChaserPlan,
  type AcceptedAssessment,
  type IntakeDeps,
  type Submitter,
} from '../submit.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import type { UrgencyLevel } from '../../domain/urgency.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import type { CreateResult } from '../../ports/request-store.ts';
import { rowToInput, type Column } from '../../domain/csv/columns.ts';
import type { CsvRecord } from '../../domain/csv/csv.ts';

export type RowOutcome =
  | { line: number; outcome: 'accepted'; id: string; urgency: UrgencyLevel; warnings: string[] }
  | { line: number; outcome: 'refused'; reasons: string[]; cells: string[] };

export interface ImportOptions {
  /** Rows recorded per MULTI. */
  batchSize?: number;
  /** Rows assessed at once; the directory's own limiter keeps the request rate down. */
  concurrency?: number;
  /** Each row's outcome as soon as it is final, in file order. */
  onRow?: (outcome: RowOutcome) => void;
  /** Who the requests are from: the person who uploaded the file when known, else the import. */
  submitter?: Submitter;
}

export interface ImportCounts {
  rows: number;
  accepted: number;
  refused: number;
}

const describe = (errors: FieldError[]) =>
  errors.map((error) => (error.path ? `${error.path}: ${error.message}` : error.message));

async function inPool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  // One iterator shared by the runners: each takes the next item not yet taken.
  const queue = items.entries();
  const runners = Array.from({ length: Math.min(size, items.length) }, async () => {
    for (const [index, item] of queue) {
      results[index] = await work(item);
    }
  });
  await Promise.all(runners);
  return results;
}

type Assessed =
  { record: CsvRecord; refused: string[] } | { record: CsvRecord; accepted: AcceptedAssessment };

async function assessRow(
  record: CsvRecord,
  columns: readonly Column[],
  deps: IntakeDeps,
): Promise<Assessed> {
  if (record.cells.length > columns.length) {
    return {
      record,
      refused: [`the row has ${record.cells.length} cells, the header ${columns.length}`],
    };
  }
  const assessment = await assessRequest(rowToInput(columns, record.cells), deps);
  if (assessment.outcome === 'accepted') return { record, accepted: assessment };
  return { record, refused: describe(assessment.errors) };
}

/** How many accepted rows' lines are kept for wording a duplicate within the file (~1 MB). */
const REMEMBERED_LINES = 10_000;

/** Up to `size` records from the source; a source that fails gives what it read before failing. */
async function takeBatch(
  source: AsyncIterator<CsvRecord>,
  size: number,
): Promise<{ records: CsvRecord[]; last: boolean; failure?: Error }> {
  const records: CsvRecord[] = [];
  try {
    while (records.length < size) {
      const next = await source.next();
      if (next.done === true) return { records, last: true };
      records.push(next.value);
    }
  } catch (failure) {
    return {
      records,
      last: true,
      failure: failure instanceof Error ? failure : new Error(String(failure)),
    };
  }
  return { records, last: false };
}

async function* eachOf<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * Imports the records (the header already taken off) and gives the counts; each outcome goes to
 * `onRow` only. Should the source fail (a broken quote further down a pipe), the rows read before
 * it are still imported and settled, and then its error is thrown.
 */
export async function importRecords(
  records: AsyncIterable<CsvRecord> | Iterable<CsvRecord>,
  columns: readonly Column[],
  deps: IntakeDeps,
  options: ImportOptions = {},
): Promise<ImportCounts> {
  const batchSize = options.batchSize ?? 100;
  const submitter = options.submitter ?? { actor: ACTORS.importer };
  const counts: ImportCounts = { rows: 0, accepted: 0, refused: 0 };
  const source = eachOf(records);
  /**
   * Line of the requests this import created lately, to word a duplicate within the file ("as
   * line 3"). Only the latest are kept, so memory stays flat whatever the file's size: a duplicate
   * of a row further back is still refused, worded as a duplicate of an outstanding request.
   */
  const lineOf = new Map<string, number>();
  const remember = (id: string, line: number) => {
    lineOf.set(id, line);
    // A Map iterates in insertion order: the first key is the oldest.
    if (lineOf.size > REMEMBERED_LINES) lineOf.delete(lineOf.keys().next().value ?? id);
  };
  const settle = (outcome: RowOutcome) => {
    counts.rows += 1;
    counts[outcome.outcome] += 1;
    options.onRow?.(outcome);
  };

  const readAndAssess = async () => {
    const batch = await takeBatch(source, batchSize);
    const assessed = await inPool(batch.records, options.concurrency ?? 10, (row) =>
      assessRow(row, columns, deps),
    );
    return { ...batch, assessed };
  };
  type Created = { row: CsvRecord; record: RequestRecord; assessment: AcceptedAssessment }[];
  const settleChunk = (assessed: Assessed[], created: Created, results: CreateResult[]) => {
    const resultOf = new Map(
      created.map((entry, i) => [entry.row, { ...entry, result: results[i] }]),
    );
    for (const item of assessed) {
      const { line, cells } = item.record;
      if ('refused' in item) {
        settle({ line, outcome: 'refused', reasons: item.refused, cells });
        continue;
      }
      const settled = resultOf.get(item.record);
      const result = settled?.result;
      if (settled === undefined || result === undefined) {
        throw new Error(`line ${line}: the store gave no result for it`);
      }
      const { record, assessment } = settled;
      if (result.ok) {
        remember(record.id, line);
        settle({
          line,
          outcome: 'accepted',
          id: record.id,
          urgency: assessment.urgency.level,
          warnings: assessment.warnings,
        });
        continue;
      }
      const earlier = lineOf.get(result.existingId);
      const reasons =
        earlier === undefined
          ? describe(duplicateOf(record.request, result.existingId).errors)
          : [
              `dosServiceId: the same service and environment as line ${earlier} of this file (${result.existingId})`,
            ];
      settle({ line, outcome: 'refused', reasons, cells });
    }
  };

  // Two chunks' transactions may be in flight: Redis applies them in the order sent, so a row
  // still meets every earlier row of the file, and outcomes are settled in file order.
  let settling: Promise<void> = Promise.resolve();
  let nextChunk = readAndAssess();
  // Let a failed look-ahead surface when its turn comes, not as an unhandled rejection now.
  nextChunk.catch(() => undefined);
  try {
    for (;;) {
      const chunk = await nextChunk;
      // The next chunk is read and assessed while this one is written: Redis and the CPU work
      // side by side.
      if (!chunk.last) {
        nextChunk = readAndAssess();
        nextChunk.catch(() => undefined);
      }
      const created: Created = [];
      for (const item of chunk.assessed) {
        if ('accepted' in item) {
          created.push({
            row: item.record,
            record: newRequestRecord(item.accepted, deps, submitter),
            assessment: item.accepted,
          });
        }
      }
      const writing =
        created.length === 0
          ? Promise.resolve([])
          : deps.store.acceptMany(created.map(({ record }) => withChaserPlan(record, deps)));
      writing.catch(() => undefined);
      await settling;
      settling = writing.then((results) => {
        settleChunk(chunk.assessed, created, results);
      });
      if (chunk.last) {
        await settling;
        if (chunk.failure !== undefined) throw chunk.failure;
        return counts;
      }
    }
  } catch (error) {
    // A write still in flight is let finish (or fail) before the error goes up.
    await settling.catch(() => undefined);
    throw error;
  }
}

/** `importRecords` for rows already in memory, giving every outcome (tests, small files). */
export async function importRows(
  rows: readonly CsvRecord[],
  columns: readonly Column[],
  deps: IntakeDeps,
  options: ImportOptions = {},
): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = [];
  await importRecords(rows, columns, deps, {
    ...options,
    onRow: (outcome) => {
      outcomes.push(outcome);
      options.onRow?.(outcome);
    },
  });
  return outcomes;
}
