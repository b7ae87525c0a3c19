// One request's page with its history, which the confirmation after the form, the queue
// dashboard's job links and the overdue notice (PUBLIC_URL) point at, rating urgency as of today
// (request-view.ts); the search by reference; and the list of requests (request-list.ts).
import { findRequest as findStoredRequest } from '../../use-cases/find-request.ts';
import type { FastifyInstance } from 'fastify';
import { londonDate, type IsoDate } from '../../domain/dates.ts';
import { presentRecord, type RequestRecord } from '../../domain/request/record.ts';
import { canSee } from './principal.ts';
import { requestListRoutes } from './request-list.ts';
import { isDone, type RequestPage } from './request-page.ts';
import type { UrgencyRating } from './request-view.ts';
import type { Views } from './views.ts';
import type { RequestStore } from '../../ports/request-store.ts';

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

export async function outstandingRoutes(
  app: FastifyInstance,
  deps: {
    store: RequestStore;
    views: Views;
    now: () => number;
    /** The working calendar and thresholds urgency is rated with, to rate it as of today. */
    rating: UrgencyRating;
    /** One request's page, with the actions its reader may take (request-page.ts). */
    page: RequestPage;
  },
): Promise<void> {
  const today = () => londonDate(new Date(deps.now()));

  // The search box on the outstanding page: a reference (or an id) straight to its request.
  app.get<{ Querystring: { reference?: string } }>('/requests/find', async (request, reply) => {
    const typed = (request.query.reference ?? '').trim();
    const record = typed === '' ? undefined : await findRequest(deps.store, typed, today());
    if (record && !canSee(request.principal, record)) return deps.page.cannotSee(reply);
    if (record) return reply.redirect(`/requests/${record.id}`, 303);
    return deps.views.send(reply, 'message.njk', requestNotFound(typed), 404);
  });

  await app.register(requestListRoutes, deps);

  // `?sent=1` is where "Send request" leads: the confirmation panel and what happens next; `?done=`
  // where an action on the page leads (request-actions.ts): a banner saying what it did. Being a
  // GET after a redirect, a refresh or back never sends the request, or does the action, again.
  app.get<{ Params: { id: string }; Querystring: { sent?: string; done?: string } }>(
    '/requests/:id',
    async (request, reply) => {
      const record = await findRequest(deps.store, request.params.id, today());
      if (!record) {
        return deps.views.send(reply, 'message.njk', requestNotFound(request.params.id), 404);
      }
      if (!canSee(request.principal, record)) return deps.page.cannotSee(reply);
      const { sent, done } = request.query;
      return deps.page.show(request, reply, record, {
        sent: sent === '1',
        ...(isDone(done) ? { done } : {}),
      });
    },
  );
}
