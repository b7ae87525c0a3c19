// The outstanding requests page (CONTRACT.md: overdue ones marked) and one request's page with its
// history, which the confirmation after the form, the queue dashboard's job links and the overdue
// notice (PUBLIC_URL) point at. Both rate urgency as of today (request-view.ts).
import { findRequest as findStoredRequest } from '../../use-cases/find-request.ts';
import type { FastifyInstance } from 'fastify';
import { formatLongDate, londonDate, type IsoDate } from '../../domain/dates.ts';
import { URGENCY_LEVELS, type Urgency } from '../../domain/urgency.ts';
import { presentRecord, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import {
  requestView,
  statusTag,
  urgencyAsOf,
  urgencyTag,
  type UrgencyRating,
} from './request-view.ts';
import type { Views } from './views.ts';
import type { RequestStore } from '../../ports/request-store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Outstanding requests run to tens, not thousands; sorting applies within one page. */
const PAGE_SIZE = 200;

export type SortOrder = 'age' | 'urgency';

type Rated = { record: RequestRecord; urgency: Urgency };

/** Urgent first (as of today), then the earliest test date, then the oldest. */
function byUrgency(a: Rated, b: Rated): number {
  const rank = (item: Rated) => URGENCY_LEVELS.indexOf(item.urgency.level);
  const date = (item: Rated) => item.record.earliestTestDate ?? '9999-99-99';
  return (
    rank(a) - rank(b) ||
    date(a).localeCompare(date(b)) ||
    a.record.createdAt.localeCompare(b.record.createdAt)
  );
}

/** A request by its id or reference, as users see it on `today` (overdue derived). */
export async function findRequest(
  store: RequestStore,
  idOrReference: string,
  today: IsoDate,
): Promise<RequestRecord | undefined> {
  const record = await findStoredRequest(store, idOrReference);
  return record && presentRecord(record, today);
}

export const requestNotFound = (id: string) => ({
  title: 'Request not found',
  heading: 'Request not found',
  message:
    id === ''
      ? 'Enter the reference of a request, like ECAT-7K2QX9, or look in the outstanding requests.'
      : `There is no request ${id}. Check the reference, or look in the outstanding requests.`,
});

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function outstandingRoutes(
  app: FastifyInstance,
  deps: {
    store: RequestStore;
    views: Views;
    now: () => number;
    /** The working calendar and thresholds urgency is rated with, to rate it as of today. */
    rating: UrgencyRating;
    /** The day the BaRS team is reminded about a request, when a reminder is planned. */
    reminderOn?: (record: RequestRecord) => string | undefined;
  },
): Promise<void> {
  const today = () => londonDate(new Date(deps.now()));

  // The search box on the outstanding page: a reference (or an id) straight to its request.
  app.get<{ Querystring: { reference?: string } }>('/requests/find', async (request, reply) => {
    const typed = (request.query.reference ?? '').trim();
    const record = typed === '' ? undefined : await findRequest(deps.store, typed, today());
    if (record) return reply.redirect(`/requests/${record.id}`, 303);
    return deps.views.send(reply, 'message.njk', requestNotFound(typed), 404);
  });

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
      const day = today();
      const rated = page.items.map((record) => ({
        record,
        urgency: urgencyAsOf(record, day, deps.rating),
      }));
      const items = sort === 'urgency' ? rated.sort(byUrgency) : rated;
      const rows = items.map(({ record, urgency }) => ({
        id: record.id,
        dosServiceId: record.request.dosServiceId,
        serviceName: record.request.serviceName,
        odsCode: record.request.odsCode,
        environment: record.request.environment,
        urgency: urgency.level,
        urgencyTag: urgencyTag(urgency.level),
        testDate: record.earliestTestDate,
        status: statusTag(record.status),
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

  // `?sent=1` is where "Send request" leads: the confirmation panel and what happens next. Being a
  // GET after a redirect, a refresh or back never sends the request again.
  app.get<{ Params: { id: string }; Querystring: { sent?: string } }>(
    '/requests/:id',
    async (request, reply) => {
      const record = await findRequest(deps.store, request.params.id, today());
      if (!record) {
        return deps.views.send(reply, 'message.njk', requestNotFound(request.params.id), 404);
      }
      const reminder = deps.reminderOn?.(record);
      return deps.views.send(reply, 'request.njk', {
        title: request.query.sent === '1' ? 'Request sent' : `Request ${referenceFor(record.id)}`,
        nav: 'requests',
        record,
        reference: referenceFor(record.id),
        sent: request.query.sent === '1',
        reminderOn: reminder ? formatLongDate(reminder) : undefined,
        view: requestView(record, today(), deps.rating),
      });
    },
  );
}
