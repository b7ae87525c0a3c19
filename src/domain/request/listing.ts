// The list of requests as the BaRS team reads it: the query a page or an export is asked with
// (filters, a search, the order, the page), read from the query string with every unknown value
// falling back to its default; which requests match it; the orders; and one page cut from the
// whole sorted set. Urgency and overdue are rated by the caller as of today and handed in.
import { ENVIRONMENTS, type Environment } from './schema.ts';
import { isOutstanding, REQUEST_STATUSES, type RequestRecord } from './record.ts';
import { URGENCY_LEVELS, type Urgency, type UrgencyLevel } from '../urgency.ts';

export const LIST_STATUSES = ['outstanding', 'all', ...REQUEST_STATUSES] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export const LIST_SORTS = ['age', 'newest', 'urgency', 'test-date'] as const;
export type ListSort = (typeof LIST_SORTS)[number];

export const PAGE_SIZE = 25;

export interface ListQuery {
  status: ListStatus;
  environment: Environment | 'any';
  urgency: UrgencyLevel | 'any';
  overdue: 'yes' | 'any';
  /** Trimmed; '' matches everything. */
  q: string;
  sort: ListSort;
  /** 1-based; a page past the last is cut as the last (cutPage). */
  page: number;
}

export const DEFAULT_QUERY: ListQuery = {
  status: 'outstanding',
  environment: 'any',
  urgency: 'any',
  overdue: 'any',
  q: '',
  sort: 'age',
  page: 1,
};

/** A search longer than any field it could match is cut, not refused. */
const MAX_SEARCH = 200;

/** The first value of a query parameter as a string (`?a=1&a=2` gives '1'). */
function first(value: unknown): string | undefined {
  const one: unknown = Array.isArray(value) ? value[0] : value;
  return typeof one === 'string' ? one : undefined;
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown, fallback: T): T {
  const text = first(value)?.trim();
  return allowed.find((item) => item.toLowerCase() === text?.toLowerCase()) ?? fallback;
}

/**
 * The query a page or an export was asked with, from the parsed query string. A link is typed,
 * pasted and edited by people: a value we do not know is read as the default, never an error.
 */
export function parseListQuery(raw: unknown): ListQuery {
  const query: Record<string, unknown> =
    raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const page = Number.parseInt(first(query.page)?.trim() ?? '', 10);
  return {
    status: oneOf(LIST_STATUSES, query.status, DEFAULT_QUERY.status),
    environment: oneOf([...ENVIRONMENTS, 'any'], query.environment, DEFAULT_QUERY.environment),
    urgency: oneOf([...URGENCY_LEVELS, 'any'], query.urgency, DEFAULT_QUERY.urgency),
    overdue: oneOf(['yes', 'any'], query.overdue, DEFAULT_QUERY.overdue),
    q: (first(query.q) ?? '').trim().slice(0, MAX_SEARCH),
    sort: oneOf(LIST_SORTS, query.sort, DEFAULT_QUERY.sort),
    page: Number.isSafeInteger(page) && page >= 1 ? page : DEFAULT_QUERY.page,
  };
}

/**
 * The query string that asks for `query` (leading `?`, or '' for the defaults): only what differs
 * from the defaults, so links stay short, and `page` only when asked for (a new filter or order
 * starts again at page 1).
 */
export function listQueryString(query: ListQuery, options: { page?: number } = {}): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'environment', 'urgency', 'overdue', 'q', 'sort'] as const) {
    if (query[key] !== DEFAULT_QUERY[key]) params.set(key, query[key]);
  }
  if (options.page !== undefined && options.page > 1) params.set('page', String(options.page));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** A request as the list rates it on the day: its urgency and whether it is overdue. */
export interface ListedRequest {
  record: RequestRecord;
  urgency: Urgency;
  overdue: boolean;
}

/**
 * The search box: a DoS Service ID by its first digits (spaces ignored, as the form reads one),
 * an ODS code exactly or by its start, or any part of the service name, ignoring case. A search
 * for "RR8" finds ODS code RR8 and a service named "Carr8 Clinic" alike: people search by
 * whichever they have to hand, and one box with no mode to choose is what they expect.
 */
export function matchesSearch(q: string, record: RequestRecord): boolean {
  const text = q.trim();
  if (text === '') return true;
  const { dosServiceId, odsCode, serviceName } = record.request;
  const digits = text.replace(/\s+/g, '');
  if (/^\d+$/.test(digits) && dosServiceId.startsWith(digits)) return true;
  if (odsCode.toUpperCase().startsWith(text.toUpperCase())) return true;
  return (serviceName ?? '').toLowerCase().includes(text.toLowerCase());
}

export function matchesStatus(status: ListStatus, record: RequestRecord): boolean {
  if (status === 'all') return true;
  if (status === 'outstanding') return isOutstanding(record.status);
  return record.status === status;
}

/** Whether a request is in the list the query asks for (every filter and the search). */
export function matchesQuery(query: ListQuery, item: ListedRequest): boolean {
  const { record } = item;
  return (
    matchesStatus(query.status, record) &&
    (query.environment === 'any' || record.request.environment === query.environment) &&
    (query.urgency === 'any' || item.urgency.level === query.urgency) &&
    (query.overdue === 'any' || item.overdue) &&
    matchesSearch(query.q, record)
  );
}

type Compare = (a: ListedRequest, b: ListedRequest) => number;

const oldestFirst: Compare = (a, b) =>
  a.record.createdAt.localeCompare(b.record.createdAt) || a.record.id.localeCompare(b.record.id);

/** Requests with no test date come after every dated one. */
const NO_TEST_DATE = '9999-99-99';
const testDateOf = (item: ListedRequest) => item.record.earliestTestDate ?? NO_TEST_DATE;

/** Urgent first (as rated on the day), then the earliest test date, then the oldest. */
export const byUrgency: Compare = (a, b) =>
  URGENCY_LEVELS.indexOf(a.urgency.level) - URGENCY_LEVELS.indexOf(b.urgency.level) ||
  testDateOf(a).localeCompare(testDateOf(b)) ||
  oldestFirst(a, b);

/** Every order ends on the id, so a request never moves between pages from one read to the next. */
export const SORTS: Readonly<Record<ListSort, Compare>> = {
  age: oldestFirst,
  newest: (a, b) => oldestFirst(b, a),
  urgency: byUrgency,
  'test-date': (a, b) => testDateOf(a).localeCompare(testDateOf(b)) || oldestFirst(a, b),
};

/** The matching requests in the query's order: the whole set, before any page is cut. */
export function selectRequests(query: ListQuery, items: readonly ListedRequest[]): ListedRequest[] {
  return items.filter((item) => matchesQuery(query, item)).sort(SORTS[query.sort]);
}

export interface ListPage<T> {
  items: T[];
  /** The page shown: the one asked for, or the last when that is past the end. */
  page: number;
  pageCount: number;
  total: number;
  /** 1-based positions of the first and last item shown (0 and 0 when there are none). */
  from: number;
  to: number;
}

export function cutPage<T>(items: readonly T[], page: number, size = PAGE_SIZE): ListPage<T> {
  const total = items.length;
  const pageCount = Math.max(1, Math.ceil(total / size));
  const shown = Math.min(Math.max(1, page), pageCount);
  const start = (shown - 1) * size;
  const slice = items.slice(start, start + size);
  return {
    items: slice,
    page: shown,
    pageCount,
    total,
    from: slice.length === 0 ? 0 : start + 1,
    to: start + slice.length,
  };
}

/**
 * The page numbers to offer, as the NHS.UK pagination shows them: the first, the last, and the
 * current with its neighbours; `undefined` where a run is left out (an ellipsis).
 */
export function pageNumbers(page: number, pageCount: number): (number | undefined)[] {
  const wanted = new Set([1, pageCount, page - 1, page, page + 1]);
  const numbers: (number | undefined)[] = [];
  for (let n = 1; n <= pageCount; n += 1) {
    if (!wanted.has(n)) continue;
    const last = numbers.at(-1);
    if (last !== undefined && n - last > 1) numbers.push(undefined);
    numbers.push(n);
  }
  return numbers;
}
