// The requests list for the BaRS team (GET /requests; CONTRACT.md: overdue ones marked) and the
// same list as a CSV (GET /requests/export.csv). Filters, search and order are read from the query
// string (domain/request/listing.ts); the whole list is read, rated as of today, filtered, sorted,
// and then a page is cut, so the order holds across pages. A requester alone sees their own.
import type { FastifyInstance } from 'fastify';
import { londonDate, type IsoDate } from '../../domain/dates.ts';
import { requestExportCsv } from '../../domain/csv/request-export.ts';
import {
  cutPage,
  listQueryString,
  pageNumbers,
  parseListQuery,
  selectRequests,
  type ListedRequest,
  type ListQuery,
  type ListSort,
} from '../../domain/request/listing.ts';
import { REQUEST_STATUSES } from '../../domain/request/record.ts';
import { listedOn } from '../../domain/request/urgency-today.ts';
import { ENVIRONMENTS } from '../../domain/request/schema.ts';
import { URGENCY_LEVELS } from '../../domain/urgency.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import { canSee, seesEveryRequest, type Principal } from './principal.ts';
import { statusTag, urgencyTag, type UrgencyRating } from './request-view.ts';
import type { Views } from './views.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RequestListDeps {
  store: RequestStore;
  views: Views;
  now: () => number;
  /** The working calendar and thresholds urgency is rated with, to rate it as of today. */
  rating: UrgencyRating;
}

const SORT_WORDS: Record<ListSort, string> = {
  age: 'age, oldest first',
  newest: 'newest first',
  urgency: 'urgency, then test date',
  'test-date': 'test date, earliest first',
};

/**
 * Every request the principal may see that the query matches, in the query's order. An
 * outstanding request's urgency is rated as of today; a configured or cancelled one keeps the
 * rating it was submitted with, as its own page shows it (how soon testing starts no longer asks
 * anything of anyone).
 */
async function listedRequests(
  deps: RequestListDeps,
  principal: Principal,
  query: ListQuery,
  today: IsoDate,
): Promise<ListedRequest[]> {
  const records = await deps.store.readAll(query.status);
  const listed = records
    .filter((record) => canSee(principal, record))
    .map((stored) => listedOn(stored, today, deps.rating));
  return selectRequests(query, listed);
}

const option = (value: string, text: string, current: string) => ({
  value,
  text,
  selected: value === current,
});

/** The choices of the filter form, each with the current one selected. */
function filterChoices(query: ListQuery) {
  const capital = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return {
    status: [
      option('outstanding', 'Outstanding (queued, sent or failed)', query.status),
      option('all', 'Any status', query.status),
      ...REQUEST_STATUSES.map((status) => option(status, statusTag(status).text, query.status)),
    ],
    environment: [
      option('any', 'Any environment', query.environment),
      ...ENVIRONMENTS.map((environment) => option(environment, environment, query.environment)),
    ],
    urgency: [
      option('any', 'Any urgency', query.urgency),
      ...URGENCY_LEVELS.map((level) => option(level, urgencyTag(level).text, query.urgency)),
    ],
    sort: Object.entries(SORT_WORDS).map(([sort, words]) =>
      option(sort, capital(words), query.sort),
    ),
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function requestListRoutes(
  app: FastifyInstance,
  deps: RequestListDeps,
): Promise<void> {
  const today = () => londonDate(new Date(deps.now()));

  app.get('/requests', async (request, reply) => {
    const query = parseListQuery(request.query);
    const day = today();
    const principal = request.principal;
    const matching = await listedRequests(deps, principal, query, day);
    const shown = cutPage(matching, query.page);
    const link = (changes: Partial<ListQuery>, page?: number) =>
      `/requests${listQueryString({ ...query, ...changes }, { page })}`;
    const rows = shown.items.map(({ record, urgency, overdue }) => ({
      id: record.id,
      dosServiceId: record.request.dosServiceId,
      serviceName: record.request.serviceName,
      odsCode: record.request.odsCode,
      environment: record.request.environment,
      urgency: urgency.level,
      urgencyTag: urgencyTag(urgency.level),
      testDate: record.earliestTestDate,
      status: statusTag(record.status),
      overdue,
      daysSinceSubmitted: Math.floor((deps.now() - Date.parse(record.createdAt)) / DAY_MS),
    }));
    const everyone = seesEveryRequest(principal);
    const title = !everyone
      ? 'Your requests'
      : query.status === 'outstanding'
        ? 'Outstanding requests'
        : 'Requests';
    const filtered = listQueryString({ ...query, sort: 'age' }) !== '';
    return deps.views.send(reply, 'requests.njk', {
      title,
      nav: 'requests',
      query,
      choices: filterChoices(query),
      rows,
      shown: { from: shown.from, to: shown.to, total: shown.total },
      overdueCount: matching.filter((item) => item.overdue).length,
      onlyOverdue: query.overdue === 'yes' ? undefined : link({ overdue: 'yes' }),
      filtered,
      sort: query.sort,
      sortWords: SORT_WORDS[query.sort],
      sortLinks: {
        age: link({ sort: 'age' }),
        urgency: link({ sort: 'urgency' }),
        testDate: link({ sort: 'test-date' }),
      },
      exportHref: principal.roles.has('bars-team')
        ? `/requests/export.csv${listQueryString(query)}`
        : undefined,
      pagination:
        shown.pageCount > 1
          ? {
              previous: shown.page > 1 ? { href: link({}, shown.page - 1) } : undefined,
              next: shown.page < shown.pageCount ? { href: link({}, shown.page + 1) } : undefined,
              items: pageNumbers(shown.page, shown.pageCount).map((number) =>
                number === undefined
                  ? { ellipsis: true }
                  : { number, href: link({}, number), current: number === shown.page },
              ),
            }
          : undefined,
    });
  });

  // Every matching request, not one page; the filters are the page's, so the link on the page
  // downloads what the page lists.
  app.get('/requests/export.csv', async (request, reply) => {
    const query = parseListQuery(request.query);
    const day = today();
    const matching = await listedRequests(deps, request.principal, query, day);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="ecat-requests-${day}.csv"`)
      .send(requestExportCsv(matching));
  });
}
