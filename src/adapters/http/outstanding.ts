// The outstanding requests page (CONTRACT.md: overdue ones marked) and one request's page with its
// history, which the confirmation after the form, the queue dashboard's job links and the overdue
// notice (PUBLIC_URL) point at.
import type { FastifyInstance } from 'fastify';
import { formatLongDate, londonDate } from '../../domain/dates.ts';
import { URGENCY_LEVELS } from '../../domain/urgency.ts';
import { presentRecord, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import { FORM_FIELDS } from './form-fields.ts';
import type { Views } from './views.ts';
import type { RequestStore } from '../../ports/request-store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Outstanding requests run to tens, not thousands; sorting applies within one page. */
const PAGE_SIZE = 200;
const REQUEST_ID = /^req-[0-9a-f-]{36}$/;

export type SortOrder = 'age' | 'urgency';

/** Urgent first, then the earliest test date, then the oldest. */
function byUrgency(a: RequestRecord, b: RequestRecord): number {
  const rank = (record: RequestRecord) => URGENCY_LEVELS.indexOf(record.urgency.level);
  const date = (record: RequestRecord) => record.earliestTestDate ?? '9999-99-99';
  return (
    rank(a) - rank(b) || date(a).localeCompare(date(b)) || a.createdAt.localeCompare(b.createdAt)
  );
}

type SummaryRow = { key: { text: string }; value: { text: string } };

const row = (key: string, value: string): SummaryRow => ({
  key: { text: key },
  value: { text: value },
});

/** What we found, then the request's fields in the form's order and wording. */
function summaryRows(record: RequestRecord): SummaryRow[] {
  const { careConnect, urgency } = record;
  const rows = [
    row('Status', record.status),
    row('Urgency', `${urgency.level}: ${urgency.reason}`),
    row('CareConnect', `${careConnect.status}: ${careConnect.detail}`),
  ];
  for (const field of FORM_FIELDS) {
    for (const item of field.children ?? [field]) {
      const value = item.path
        .split('.')
        .reduce<unknown>(
          (node, key) =>
            node !== null && typeof node === 'object'
              ? (node as Record<string, unknown>)[key]
              : undefined,
          record.request,
        );
      if (typeof value === 'string' && value !== '') {
        const shown = item.control === 'date' ? formatLongDate(value) : value;
        rows.push(row(item.label.replace(' (optional)', ''), shown));
      }
    }
  }
  return rows;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function outstandingRoutes(
  app: FastifyInstance,
  deps: {
    store: RequestStore;
    views: Views;
    now: () => number;
    /** The day the BaRS team is reminded about a request, when a reminder is planned. */
    reminderOn?: (record: RequestRecord) => string | undefined;
  },
): Promise<void> {
  const today = () => londonDate(new Date(deps.now()));

  app.get<{ Querystring: { sort?: string; cursor?: string } }>(
    '/requests',
    async (request, reply) => {
      const sort: SortOrder = request.query.sort === 'urgency' ? 'urgency' : 'age';
      const cursor = /^\d{1,9}$/.test(request.query.cursor ?? '')
        ? request.query.cursor
        : undefined;
      const [page, overdue] = await Promise.all([
        deps.store.list('outstanding', { limit: PAGE_SIZE, cursor }),
        deps.store.overdueIds(today()),
      ]);
      const items = sort === 'urgency' ? [...page.items].sort(byUrgency) : page.items;
      const day = today();
      const rows = items.map((record) => ({
        id: record.id,
        dosServiceId: record.request.dosServiceId,
        serviceName: record.request.serviceName,
        odsCode: record.request.odsCode,
        environment: record.request.environment,
        urgency: record.urgency.level,
        testDate: record.earliestTestDate,
        status: record.status,
        overdue: presentRecord(record, day).overdue,
        daysOutstanding: Math.floor((deps.now() - Date.parse(record.createdAt)) / DAY_MS),
      }));
      const sortQuery = sort === 'urgency' ? '&sort=urgency' : '';
      return deps.views.send(reply, 'requests.njk', {
        title: 'Outstanding requests',
        nav: 'requests',
        rows,
        total: page.total,
        overdueCount: overdue.length,
        sort,
        next: page.nextCursor ? `/requests?cursor=${page.nextCursor}${sortQuery}` : undefined,
      });
    },
  );

  async function find(id: string): Promise<RequestRecord | undefined> {
    if (!REQUEST_ID.test(id)) return undefined;
    const record = await deps.store.get(id);
    return record && presentRecord(record, today());
  }

  const notFound = (id: string) => ({
    title: 'Request not found',
    heading: 'Request not found',
    message: `There is no request ${id}. Check the reference, or look in the outstanding requests.`,
  });

  // `?sent=1` is where "Send request" leads: the confirmation panel and what happens next. Being a
  // GET after a redirect, a refresh or back never sends the request again.
  app.get<{ Params: { id: string }; Querystring: { sent?: string } }>(
    '/requests/:id',
    async (request, reply) => {
      const record = await find(request.params.id);
      if (!record) return deps.views.send(reply, 'message.njk', notFound(request.params.id), 404);
      const reminder = deps.reminderOn?.(record);
      return deps.views.send(reply, 'request.njk', {
        title: request.query.sent === '1' ? 'Request sent' : `Request ${referenceFor(record.id)}`,
        nav: 'requests',
        record,
        reference: referenceFor(record.id),
        sent: request.query.sent === '1',
        reminderOn: reminder ? formatLongDate(reminder) : undefined,
        rows: summaryRows(record),
      });
    },
  );
}
