// Bulk intake: each CSV row is assessed as a submitted request would be, and the accepted rows
// of each batch are recorded and queued together in one MULTI (records, send jobs, chasers).
// Rows are settled in file order, so of two rows for the same service the earlier one wins.
import { assessRequest } from '../assess.ts';
import {
  duplicateOf,
  newRequestRecord,
  withChaserPlan,
  type AcceptedAssessment,
  type IntakeDeps,
} from '../submit.ts';
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

async function assessRow(record: CsvRecord, columns: readonly Column[], deps: IntakeDeps) {
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

export async function importRows(
  rows: readonly CsvRecord[],
  columns: readonly Column[],
  deps: IntakeDeps,
  options: ImportOptions = {},
): Promise<RowOutcome[]> {
  const batchSize = options.batchSize ?? 100;
  const outcomes: RowOutcome[] = [];
  /** Line of each request this import created, to word a duplicate within the file. */
  const lineOf = new Map<string, number>();
  const settle = (outcome: RowOutcome) => {
    outcomes.push(outcome);
    options.onRow?.(outcome);
  };

  const assessChunk = (start: number): Promise<Assessed[]> =>
    inPool(rows.slice(start, start + batchSize), options.concurrency ?? 10, (row) =>
      assessRow(row, columns, deps),
    );
  let nextChunk = assessChunk(0);
  // Let a failed look-ahead surface when its turn comes, not as an unhandled rejection now.
  nextChunk.catch(() => undefined);
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
        lineOf.set(record.id, line);
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
  for (let start = 0; start < rows.length; start += batchSize) {
    const assessed = await nextChunk;
    // The next chunk is assessed while this one is written: Redis and the CPU work side by side.
    if (start + batchSize < rows.length) {
      nextChunk = assessChunk(start + batchSize);
      nextChunk.catch(() => undefined);
    }
    const created: Created = [];
    for (const item of assessed) {
      if ('accepted' in item) {
        created.push({
          row: item.record,
          record: newRequestRecord(item.accepted, deps),
          assessment: item.accepted,
        });
      }
    }
    const writing = deps.store.acceptMany(
      created.map(({ record }) => withChaserPlan(record, deps)),
    );
    writing.catch(() => undefined);
    await settling;
    settling = writing.then((results) => {
      settleChunk(assessed, created, results);
    });
  }
  await settling;
  return outcomes;
}
