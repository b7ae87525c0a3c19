// The requester's status page, from the link in the email they are copied on (README "Links in
// the email"): GET /status/:token shows the request and its history in plain words; the POSTs give
// it new test dates (urgency re-rated, the BaRS team told) or withdraw it (the BaRS team told).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { londonDate } from '../../domain/dates.ts';
import { ACTORS } from '../../domain/people/person.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import { changeTestDates, checkNote, withdrawRequest } from '../../use-cases/request-actions.ts';
import { CSRF_FIELD } from './csrf.ts';
import { FORM_FIELDS, formValues, requestFromForm } from './form-fields.ts';
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
  const { views, csrf, store } = deps;
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

  app.post<{ Params: { token: string } }>('/status/:token/test-dates', async (request, reply) => {
    const opened = await open(request, reply, 'status');
    if (!('claims' in opened)) return opened;
    const { record } = opened;
    const values = formValues(request.body);
    if (!csrf.verify(request, values[CSRF_FIELD], now())) {
      const errors = [{ path: '', message: EXPIRED_FORM }];
      return statusPage(reply, request, record, { values, errors, status: 403 });
    }
    // The form's own date parsing (day, month and year boxes, month names), then the schema's.
    const dates = requestFromForm(values).testDates as { from?: string; to?: string } | undefined;
    const result = await changeTestDates(actionDeps, {
      id: record.id,
      actor: ACTORS.requesterLink,
      testDates: { from: dates?.from ?? '', ...(dates?.to ? { to: dates.to } : {}) },
    });
    if (result.ok) {
      return reply.redirect(`${LINK_PATHS.status(request.params.token)}?updated=dates`, 303);
    }
    switch (result.reason) {
      case 'not-found':
        return refuse(reply, 'not-found', 'status');
      case 'invalid':
        return statusPage(reply, request, record, { values, errors: result.errors, status: 400 });
      case 'not-allowed': {
        const current = (await store.get(record.id)) ?? record;
        const errors = [{ path: '', message: notOutstanding(current) }];
        return statusPage(reply, request, current, { errors, status: 409 });
      }
    }
  });

  app.post<{ Params: { token: string } }>('/status/:token/withdraw', async (request, reply) => {
    const opened = await open(request, reply, 'status');
    if (!('claims' in opened)) return opened;
    const { record } = opened;
    const values = formValues(request.body);
    if (!csrf.verify(request, values[CSRF_FIELD], now())) {
      const errors = [{ path: '', message: EXPIRED_FORM }];
      return statusPage(reply, request, record, { errors, status: 403 });
    }
    const reason = checkNote(values.reason, 'reason', {
      required: false,
      label: 'Why you are withdrawing it',
    });
    if (!reason.ok) {
      return statusPage(reply, request, record, { values, errors: reason.errors, status: 400 });
    }
    const result = await withdrawRequest(actionDeps, {
      id: record.id,
      actor: ACTORS.requesterLink,
      ...(reason.text ? { reason: reason.text } : {}),
    });
    if (result.ok) {
      return reply.redirect(`${LINK_PATHS.status(request.params.token)}?updated=withdrawn`, 303);
    }
    if (result.reason === 'not-found') return refuse(reply, 'not-found', 'status');
    const errors = [{ path: '', message: notOutstanding(result.record) }];
    return statusPage(reply, request, result.record, { errors, status: 409 });
  });
}
