// The CSV columns of a bulk import, derived from the request schema (STYLE.md: one source of truth
// for a shape): each field is a column, and the fields of a nested object (testDates, requester)
// are flattened as `testDates.from`, `requester.email`. An empty cell means the field is absent.
// A cell is read as a spreadsheet wrote it: the `'` our reports put before a formula-like value is
// taken off, and a date Excel rewrote as dd/mm/yyyy is put back as YYYY-MM-DD.
import { z } from 'zod';
import { configurationRequestSchema } from '../request/schema.ts';
import { fromSpreadsheetCell } from './csv.ts';

export interface Column {
  /** As written in the header: `odsCode`, `testDates.from`. */
  name: string;
  path: readonly [string] | readonly [string, string];
  /** A column the file must have: the field is required, and so is its parent. */
  required: boolean;
  /** A date (the fields of `testDates`): dd/mm/yyyy is read as YYYY-MM-DD. */
  date: boolean;
}

/** The object whose fields are dates; the schema checks them as YYYY-MM-DD. */
const DATE_PARENT = 'testDates';

function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

export function columnsOf(schema: z.ZodObject): Column[] {
  return Object.entries(schema.shape).flatMap(([name, field]): Column[] => {
    const type = field as z.ZodType;
    const inner = type instanceof z.ZodOptional ? (type.unwrap() as z.ZodType) : type;
    if (!(inner instanceof z.ZodObject)) {
      return [{ name, path: [name], required: isRequired(type), date: false }];
    }
    return Object.entries(inner.shape).map(([child, childType]) => ({
      name: `${name}.${child}`,
      path: [name, child] as const,
      required: isRequired(type) && isRequired(childType as z.ZodType),
      date: name === DATE_PARENT,
    }));
  });
}

export const CSV_COLUMNS: readonly Column[] = columnsOf(configurationRequestSchema);

export type HeaderResult = { ok: true; columns: Column[] } | { ok: false; errors: string[] };

/** Matches the header row to the columns (ignoring case); unknown, repeated or missing columns refuse the file. */
export function resolveHeader(cells: readonly string[]): HeaderResult {
  const byName = new Map(CSV_COLUMNS.map((column) => [column.name.toLowerCase(), column]));
  const errors: string[] = [];
  const columns: Column[] = [];
  const seen = new Set<string>();
  for (const cell of cells) {
    const column = byName.get(cell.trim().toLowerCase());
    if (!column) {
      errors.push(`unknown column '${cell.trim()}' (unknown fields are refused, not dropped)`);
      continue;
    }
    if (seen.has(column.name)) errors.push(`column '${column.name}' appears twice`);
    seen.add(column.name);
    columns.push(column);
  }
  const missing = CSV_COLUMNS.filter((column) => column.required && !seen.has(column.name));
  if (missing.length > 0) {
    errors.push(`missing required column(s): ${missing.map((column) => column.name).join(', ')}`);
  }
  if (errors.length > 0) {
    errors.push(`the columns are: ${CSV_COLUMNS.map((column) => column.name).join(', ')}`);
    return { ok: false, errors };
  }
  return { ok: true, columns };
}

// Excel on a UK machine rewrites 2027-03-01 as 01/03/2027 when it saves a CSV: day first, always.
const UK_DATE = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;

/**
 * A date cell as the schema reads dates: `01/03/2027` and `1/3/2027` become `2027-03-01`. Only
 * the order changes; an impossible date (31/02/2027) stays one, for the schema to refuse.
 */
export function isoDateOfCell(value: string): string {
  const parts = UK_DATE.exec(value);
  if (!parts) return value;
  const [, day = '', month = '', year = ''] = parts;
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}

/** One row as the JSON a user would have sent: nested objects rebuilt, empty cells left out. */
export function rowToInput(columns: readonly Column[], cells: readonly string[]): object {
  const input: Record<string, unknown> = {};
  columns.forEach((column, index) => {
    const cell = cells[index];
    if (cell === undefined || cell.trim() === '') return;
    const unescaped = fromSpreadsheetCell(cell);
    const value = column.date ? isoDateOfCell(unescaped) : unescaped;
    const [field, child] = column.path;
    if (child === undefined) {
      input[field] = value;
    } else {
      const parent = (input[field] ??= {}) as Record<string, unknown>;
      parent[child] = value;
    }
  });
  return input;
}
