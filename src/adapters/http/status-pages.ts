// The requester's status page, from the link in the email they are copied on (README "Links in
// the email"): GET /status/:token shows the request and its history in plain words; the POSTs give
// it new test dates (urgency re-rated, the BaRS team told) or withdraw it (the BaRS team told).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { londonDate } from '../../domain/dates.ts';
import { ACTORS, type Actor } from '../../domain/people/person.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import type { ChangeResult } from '../../use-cases/request-actions.ts';
import { changeTestDatesFromForm, withdrawFromForm } from './requester-forms.ts';
import { CSRF_FIELD } from './csrf.ts';
import { FORM_FIELDS, formValues, type FormValues } from './form-fields.ts';
import { requestView } from './request-view.ts';
import { LINK_PATHS } from './signed-links.ts';
import { actionErrors, dateValues } from './request-page.ts';
import {
  EXPIRED_FORM,
  linkAccess,
  notOutstanding,
  type LinkPageDeps,
  type TokenRequest,
} from './link-access.ts';

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports
export async function statusPageRoutes(app: FastifyInstance, deps: LinkPageDeps): Promise<void> {
  const { views, csrf } = deps;
  const { now, refuse, open, actionDeps } = linkAccess(app, deps);

  const testDatesField = FORM_FIELDS.find((field) => field.path === 'testDates');

  function statusPage(
    reply: FastifyReply,
    request: TokenRequest,
    record: RequestRecord,
    options: {
      updated?: string;
      values?: Record<string, string>;
      errors?: readonly FieldError[];
      status?: number;
    } = {},
  ) {
    const today = londonDate(new Date(now()));
    const { calendar, thresholds } = deps.intake;
    const view = requestView(record, today, { calendar, thresholds });
    const { byName, summary } = actionErrors(options.errors ?? []);
    const token = request.params.token;
    const reference = referenceFor(record.id);
    return views.send(
      reply,
      'status.njk',
      {
        title: summary.length > 0 ? `Error: Request ${reference}` : `Request ${reference}`,
        reference,
        record,
        view,
        outstanding: isOutstanding(record.status),
        updated: options.updated,
        dateFields: testDatesField?.children ?? [],
        values: { ...dateValues(record), ...options.values },
        errors: byName,
        errorList: summary,
        testDatesAction: `${LINK_PATHS.status(token)}/test-dates`,
        withdrawAction: `${LINK_PATHS.status(token)}/withdraw`,
        csrfField: CSRF_FIELD,
        csrf: csrf.issue(now(), request),
      },
      options.status ?? 200,
    );
  }

  app.get<{ Params: { token: string }; Querystring: { updated?: string } }>(
    '/status/:token',
    async (request, reply) => {
      const opened = await open(request, reply, 'status');
      if (!('claims' in opened)) return opened;
      const updated = ['dates', 'withdrawn'].includes(request.query.updated ?? '')
        ? request.query.updated
        : undefined;
      return statusPage(reply, request, opened.record, { updated });
    },
  );

  /**
   * A requester's change from the status page: the token and the form's CSRF token checked, then
   * the change; back to the page (303) once done, or the page again saying what stopped it.
   */
  function change(
    path: string,
    updated: 'dates' | 'withdrawn',
    act: (
      deps: typeof actionDeps,
      change: { id: string; actor: Actor; values: FormValues },
    ) => Promise<ChangeResult>,
  ) {
    app.post<{ Params: { token: string } }>(path, async (request, reply) => {
      const opened = await open(request, reply, 'status');
      if (!('claims' in opened)) return opened;
      const { record } = opened;
      const values = formValues(request.body);
      if (!csrf.verify(request, values[CSRF_FIELD], now())) {
        const errors = [{ path: '', message: EXPIRED_FORM }];
        return statusPage(reply, request, record, { values, errors, status: 403 });
      }
      const result = await act(actionDeps, { id: record.id, actor: ACTORS.requesterLink, values });
      if (result.ok) {
        return reply.redirect(`${LINK_PATHS.status(request.params.token)}?updated=${updated}`, 303);
      }
      switch (result.reason) {
        case 'not-found':
          return refuse(reply, 'not-found', 'status');
        case 'invalid':
          return statusPage(reply, request, record, { values, errors: result.errors, status: 400 });
        case 'not-allowed': {
          const errors = [{ path: '', message: notOutstanding(result.record) }];
          return statusPage(reply, request, result.record, { errors, status: 409 });
        }
      }
    });
  }

  change('/status/:token/test-dates', 'dates', changeTestDatesFromForm);
  change('/status/:token/withdraw', 'withdrawn', withdrawFromForm);
}
