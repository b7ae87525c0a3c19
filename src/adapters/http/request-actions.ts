// The forms on a request's page (request-page.ts), each a POST with the page's CSRF token that
// leads back to the page (303) with a banner saying what it did: for the BaRS team, confirm it
// configured, cancel it, ask the requester for changes; for the person who sent it, change its test
// dates or withdraw it (route-rules.ts: the roles; here: that it is theirs). An action on a request
// no longer outstanding changes nothing (409); one refused for what was typed shows the page again
// with an NHS.UK error summary.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { londonDate } from '../../domain/dates.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import {
  askForChanges,
  cancelRequest,
  confirmConfigured,
  type ChangeResult,
  type RequestActionDeps,
} from '../../use-cases/request-actions.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import { formValues, type FormValues } from './form-fields.ts';
import { changeTestDatesFromForm, withdrawFromForm } from './requester-forms.ts';
import { findRequest, requestNotFound } from './outstanding.ts';
import { canSee, isSubmitter } from './principal.ts';
import { ACTION_PATHS, type Done, type RequestPage } from './request-page.ts';
import type { Views } from './views.ts';

export interface RequestActionRouteDeps {
  actions: RequestActionDeps;
  page: RequestPage;
  views: Views;
  csrf: Csrf;
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** What an action needs from the form and does, given the request it is on. */
type Action = (
  record: RequestRecord,
  values: FormValues,
  request: IdRequest,
) => Promise<ChangeResult>;

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports
export async function requestActionRoutes(
  app: FastifyInstance,
  deps: RequestActionRouteDeps,
): Promise<void> {
  const { actions, page, views } = deps;
  const now = () => actions.now().getTime();

  /**
   * One action's route: the request (one the reader may see, and for the submitter's actions one
   * they sent), the CSRF token, the action, then where it leads.
   */
  function route(path: string, done: Done, options: { submitterOnly: boolean }, act: Action) {
    app.post(`/requests/:id/${path}`, async (request: IdRequest, reply: FastifyReply) => {
      const values = formValues(request.body);
      const { id } = request.params;
      const record = await findRequest(actions.store, id, londonDate(actions.now()));
      if (!record) return views.send(reply, 'message.njk', requestNotFound(id), 404);
      if (!canSee(request.principal, record)) return page.cannotSee(reply);
      if (options.submitterOnly && !isSubmitter(request.principal, record)) {
        return views.send(
          reply,
          'message.njk',
          {
            title: 'You cannot change this request',
            heading: 'You cannot change this request',
            message:
              'Only the person who sent a request can change its test dates or withdraw it. Nothing was changed.',
            link: { href: `/requests/${record.id}`, text: 'Back to the request' },
          },
          403,
        );
      }
      if (!deps.csrf.verify(request, values[CSRF_FIELD], now())) {
        request.log.warn({ action: path }, 'refused: missing, expired or cross-site CSRF token');
        return page.expired(reply, record.id);
      }
      const result = await act(record, values, request);
      if (result.ok) {
        request.log.info({ requestId: record.id, action: path }, 'request changed on its page');
        return reply.redirect(`/requests/${record.id}?done=${done}`, 303);
      }
      switch (result.reason) {
        case 'not-found':
          return views.send(reply, 'message.njk', requestNotFound(id), 404);
        case 'not-allowed':
          return page.notAllowed(reply, result.record);
        case 'invalid': {
          const { [CSRF_FIELD]: _token, ...typed } = values;
          return page.show(request, reply, record, {
            problem: { errors: result.errors, values: typed },
            status: 400,
          });
        }
      }
    });
  }

  const team = { submitterOnly: false };
  const submitter = { submitterOnly: true };

  route(ACTION_PATHS.confirm, 'configured', team, (record, _values, request) =>
    confirmConfigured(actions, { id: record.id, actor: request.principal.actor }),
  );

  route(ACTION_PATHS.cancel, 'cancelled', team, (record, _values, request) =>
    cancelRequest(actions, { id: record.id, actor: request.principal.actor }),
  );

  route(ACTION_PATHS.askForChanges, 'changes-requested', team, (record, values, request) =>
    askForChanges(actions, {
      id: record.id,
      actor: request.principal.actor,
      note: values.note ?? '',
    }),
  );

  route(ACTION_PATHS.testDates, 'test-dates-changed', submitter, (record, values, request) =>
    changeTestDatesFromForm(actions, { id: record.id, actor: request.principal.actor, values }),
  );

  route(ACTION_PATHS.withdraw, 'withdrawn', submitter, (record, values, request) =>
    withdrawFromForm(actions, { id: record.id, actor: request.principal.actor, values }),
  );
}
