// The HTML pages (NHS.UK frontend through Nunjucks): the request form for DoS leads, its
// confirmation, and the outstanding requests table. Server-rendered; no JavaScript needed.
import type { FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import { submitRequest, type IntakeDeps } from '../intake.ts';
import { londonDate } from '../request/dates.ts';
import type { FieldError } from '../request/schema.ts';
import { URGENCY_LEVELS } from '../request/urgency.ts';
import { isOverdue, type RequestRecord } from '../requests/record.ts';
import type { RequestStore } from '../requests/store.ts';
import { basicGuard } from './auth.ts';
import type { CsrfTokens } from './csrf.ts';
import {
  fieldLabel,
  FIELD_LABELS,
  formAnchor,
  requestFromForm,
  type FormValues,
} from './form-fields.ts';

export interface PageDeps {
  store: RequestStore;
  intake: IntakeDeps;
  csrf: CsrfTokens;
  adminPassword?: string;
  templatesDir: string;
  frontendDir: string;
  observeIntake?: (seconds: number) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function formErrors(errors: FieldError[]) {
  const byField: Record<string, string> = {};
  const errorList = errors.map((error) => {
    const anchor = formAnchor(error);
    const text = `${fieldLabel(error.path)} ${error.message}`;
    byField[anchor] ??= text;
    return { text, href: `#${anchor}` };
  });
  return { errors: byField, errorList };
}

export async function pageRoutes(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([deps.templatesDir, deps.frontendDir]),
    { autoescape: true },
  );
  const now = () => deps.intake.now();
  app.addHook('onRequest', basicGuard(deps.adminPassword));

  const formPage = (values: FormValues, errors: FieldError[] = []) =>
    env.render('form.njk', {
      title: errors.length ? 'Error: New request' : 'New request',
      labels: FIELD_LABELS,
      values,
      csrf: deps.csrf.issue(now().getTime()),
      ...formErrors(errors),
    });

  app.get('/', async (_request, reply) => reply.type('text/html').send(formPage({})));

  app.post<{ Body: FormValues }>(
    '/',
    { config: { rateLimit: { max: 60, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const values = typeof request.body === 'object' && request.body ? request.body : {};
      const origin = request.headers.origin;
      const sameOrigin = origin === undefined || new URL(origin).host === request.headers.host;
      if (!sameOrigin || !deps.csrf.verify(values._csrf, now().getTime())) {
        return reply
          .code(403)
          .type('text/html')
          .send(
            formPage(values, [
              {
                path: '',
                message:
                  'The form had expired or came from another site: check your answers and send it again.',
              },
            ]),
          );
      }
      const started = performance.now();
      const result = await submitRequest(requestFromForm(values), {
        ...deps.intake,
        channel: 'form',
      });
      deps.observeIntake?.((performance.now() - started) / 1000);
      if (result.outcome === 'accepted') {
        return reply
          .type('text/html')
          .send(env.render('confirmation.njk', { title: 'Request accepted', ...result }));
      }
      const status =
        result.outcome === 'invalid' ? 400 : result.outcome === 'duplicate' ? 409 : 422;
      return reply.code(status).type('text/html').send(formPage(values, result.errors));
    },
  );

  app.get<{ Querystring: { sort?: string; cursor?: string } }>(
    '/requests',
    async (request, reply) => {
      const page = await deps.store.list('outstanding', {
        limit: 100,
        cursor: request.query.cursor,
      });
      const today = londonDate(now());
      const rank = (record: RequestRecord) => URGENCY_LEVELS.indexOf(record.urgency.level);
      const items =
        request.query.sort === 'urgency'
          ? [...page.items].sort(
              (a, b) => rank(a) - rank(b) || a.createdAt.localeCompare(b.createdAt),
            )
          : page.items;
      const rows = items.map((record) => ({
        id: record.id,
        dosServiceId: record.request.dosServiceId,
        serviceName: record.request.serviceName,
        odsCode: record.request.odsCode,
        environment: record.request.environment,
        urgency: record.urgency.level,
        testDate: record.earliestTestDate,
        status: record.status,
        overdue: record.overdue || isOverdue(record, today),
        daysOutstanding: Math.floor((now().getTime() - Date.parse(record.createdAt)) / DAY_MS),
      }));
      return reply.type('text/html').send(
        env.render('requests.njk', {
          title: 'Outstanding requests',
          rows,
          total: page.total,
          overdueCount: (await deps.store.overdueIds(today)).length,
          sort: request.query.sort,
          next: page.nextCursor
            ? `/requests?cursor=${page.nextCursor}${request.query.sort ? `&sort=${request.query.sort}` : ''}`
            : undefined,
        }),
      );
    },
  );
}
