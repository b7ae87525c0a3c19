// The CSV columns of a bulk import, derived from the request schema (STYLE.md: one source of truth
// for a shape): each field is a column, and the fields of a nested object (testDates, requester)
// are flattened as `testDates.from`, `requester.email`. An empty cell means the field is absent.
import { z } from 'zod';
import { configurationRequestSchema } from '../request/schema.ts';

export interface Column {
  /** As written in the header: `odsCode`, `testDates.from`. */
  name: string;
  path: readonly [string] | readonly [string, string];
  /** A column the file must have: the field is required, and so is its parent. */
  required: boolean;
}

function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

export function columnsOf(schema: z.ZodObject): Column[] {
  return Object.entries(schema.shape).flatMap(([name, field]): Column[] => {
    const type = field as z.ZodType;
    const inner = type instanceof z.ZodOptional ? (type.unwrap() as z.ZodType) : type;
    if (!(inner instanceof z.ZodObject)) {
      return [{ name, path: [name], required: isRequired(type) }];
    }
    return Object.entries(inner.shape).map(([child, childType]) => ({
      name: `${name}.${child}`,
      path: [name, child] as const,
      required: isRequired(type) && isRequired(childType as z.ZodType),
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

/** One row as the JSON a user would have sent: nested objects rebuilt, empty cells left out. */
export function rowToInput(columns: readonly Column[], cells: readonly string[]): object {
  const input: Record<string, unknown> = {};
  columns.forEach((column, index) => {
    const value = cells[index];
    if (value === undefined || value.trim() === '') return;
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
