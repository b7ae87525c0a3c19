// The pages a link in the email opens (README "Links in the email"), open to anyone because the
// signed token in the URL is the credential (route-rules.ts): the BaRS team's "Mark as
// configured" (GET /link/:token shows the request, POST marks it, once), and the requester's
// status page (GET /status/:token, with new test dates and withdrawing it). Every POST also
// carries a CSRF token. A refused link gets a page saying why and changes nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { londonDate } from '../../domain/dates.ts';
import { isUnavailable } from '../../domain/errors.ts';
import {
  STATUS_LINK_DAYS,
  STATUS_LINK_DAYS_AFTER_CLOSE,
  statusLinkLapsed,
  type LinkAction,
  type LinkClaims,
  type LinkProblem,
} from '../../domain/links/link-token.ts';
import { ACTORS, actorName } from '../../domain/people/person.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import type { FollowUpJobs } from '../../ports/jobs.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import {
  changeTestDates,
  checkNote,
  confirmConfigured,
  withdrawRequest,
} from '../../use-cases/request-actions.ts';
import type { IntakeDeps } from '../../use-cases/submit.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import { FORM_FIELDS, formErrors, formValues, requestFromForm } from './form-fields.ts';
import { requestView, statusTag } from './request-view.ts';
import {
  LINK_PATHS,
  LINK_TOKEN_MAX_LENGTH,
  type SignedLinks,
  type UsedLinks,
} from './signed-links.ts';
import type { Views } from './views.ts';

export interface LinkPageDeps {
  store: RequestStore;
  /** Reads the tokens (the server's signer, LINK_DAYS, the clock). */
  links: SignedLinks;
  /** Which configure links have been used, in Redis, for every process. */
  usedLinks: UsedLinks;
  followUpJobs: FollowUpJobs;
  /** The clock, working calendar and thresholds: test dates are judged and rated as at intake. */
  intake: IntakeDeps;
  views: Views;
  csrf: Csrf;
}

const EXPIRED_FORM =
  'The form had expired or came from another site. Nothing was changed: try again.';

const ENVIRONMENT_SHORT = { INT: 'INT', PROD: 'Prod' } as const;

type Refusal = LinkProblem | 'not-found' | 'lapsed';

/** Each refusal's status and heading; its words are in link-problem.njk. Nothing is changed. */
const REFUSALS: Record<Refusal, { status: number; heading: string }> = {
  'not-valid': { status: 400, heading: 'This link is not valid' },
  // A link for the other page: signed by us, so not a forgery, but not for this page.
  'wrong-page': { status: 403, heading: 'This link is not valid' },
  expired: { status: 410, heading: 'This link has expired' },
  lapsed: { status: 410, heading: 'This link has expired' },
  used: { status: 410, heading: 'This link has already been used' },
  'not-found': { status: 404, heading: 'Request not found' },
};

/** The request in the rows the confirmation page shows: what the BaRS engineer checks. */
function requestRows(record: RequestRecord) {
  const { request } = record;
  const row = (key: string, text: string) => ({ key: { text: key }, value: { text } });
  return [
    row('Reference', referenceFor(record.id)),
    row('DoS Service ID', request.dosServiceId),
    row('Service name', request.serviceName ?? '(not given)'),
    row('ODS code', request.odsCode),
    row('Environment', ENVIRONMENT_SHORT[request.environment]),
    row('Endpoint URL', request.endpoint),
  ];
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports
export async function linkPageRoutes(app: FastifyInstance, deps: LinkPageDeps): Promise<void> {
  // Found when the server is built, not as a 414 on the first link someone opens.
  const { routerOptions, maxParamLength } = app.initialConfig;
  const longest = routerOptions?.maxParamLength ?? maxParamLength ?? 100;
  if (longest < LINK_TOKEN_MAX_LENGTH) {
    throw new Error(
      `the link pages need Fastify's routerOptions.maxParamLength at least ${LINK_TOKEN_MAX_LENGTH} (it is ${longest}): a token is longer than its default`,
    );
  }
  const { views, csrf, store } = deps;
  const now = () => deps.intake.now().getTime();
  const actionDeps = { ...deps.intake, store, followUpJobs: deps.followUpJobs };

  app.setErrorHandler((error, _request, reply) => {
    if (!isUnavailable(error)) throw error;
    return views.unavailable(
      reply,
      'The request cannot be read or changed at the moment. Nothing was changed. Try again in a few minutes.',
    );
  });

  function refuse(
    reply: FastifyReply,
    problem: Refusal,
    action: LinkAction,
    record?: RequestRecord,
  ) {
    const { status, heading } = REFUSALS[problem];
    return views.send(
      reply,
      'link-problem.njk',
      {
        title: heading,
        heading,
        problem,
        action,
        statusLinkDays: STATUS_LINK_DAYS,
        daysAfterClose: STATUS_LINK_DAYS_AFTER_CLOSE,
        reference: record ? referenceFor(record.id) : undefined,
        status: record ? statusTag(record.status) : undefined,
      },
      status,
    );
  }

  /** The token's claims and its request, or the refusal already answered. */
  async function open(
    request: FastifyRequest<{ Params: { token: string } }>,
    reply: FastifyReply,
    action: LinkAction,
  ): Promise<{ claims: LinkClaims; record: RequestRecord } | FastifyReply> {
    const reading = deps.links.read(request.params.token, action);
    if (!reading.ok) {
      request.log.info({ problem: reading.problem, action }, 'signed link refused');
      return refuse(reply, reading.problem, action);
    }
    const record = await store.get(reading.claims.r);
    if (!record) return refuse(reply, 'not-found', action);
    if (action === 'status' && statusLinkLapsed(record, now())) {
      return refuse(reply, 'lapsed', action, record);
    }
    return { claims: reading.claims, record };
  }

  // ---- The BaRS team's "Mark as configured" ------------------------------------------------

  function confirmPage(
    reply: FastifyReply,
    request: FastifyRequest<{ Params: { token: string } }>,
    record: RequestRecord,
    options: { done?: boolean; error?: string; status?: number } = {},
  ) {
    const environment = ENVIRONMENT_SHORT[record.request.environment];
    const reference = referenceFor(record.id);
    return views.send(
      reply,
      'link-confirm.njk',
      {
        title: options.error
          ? `Error: Mark ${reference} as configured`
          : options.done
            ? 'Marked as configured'
            : `Mark ${reference} as configured`,
        reference,
        environment,
        rows: requestRows(record),
        status: statusTag(record.status),
        outstanding: isOutstanding(record.status),
        configured: record.status === 'configured',
        done: options.done ?? false,
        errorList: options.error ? [{ text: options.error }] : [],
        action: LINK_PATHS.configure(request.params.token),
        csrfField: CSRF_FIELD,
        csrf: csrf.issue(now(), request),
      },
      options.status ?? 200,
    );
  }

  app.get<{ Params: { token: string }; Querystring: { done?: string } }>(
    '/link/:token',
    async (request, reply) => {
      const opened = await open(request, reply, 'configure');
      if (!('claims' in opened)) return opened;
      const { claims, record } = opened;
      if (await deps.usedLinks.isUsed(claims)) {
        // Where the POST led: the same link, now used, shows what it did.
        if (request.query.done === '1' && record.status === 'configured') {
          return confirmPage(reply, request, record, { done: true });
        }
        return refuse(reply, 'used', 'configure', record);
      }
      return confirmPage(reply, request, record);
    },
  );

  app.post<{ Params: { token: string } }>('/link/:token', async (request, reply) => {
    const opened = await open(request, reply, 'configure');
    if (!('claims' in opened)) return opened;
    const { claims, record } = opened;
    if (!csrf.verify(request, formValues(request.body)[CSRF_FIELD], now())) {
      return confirmPage(reply, request, record, { error: EXPIRED_FORM, status: 403 });
    }
    // Claimed before the change, atomically in Redis: two clicks, or two processes, change once.
    if (!(await deps.usedLinks.claim(claims, now()))) {
      return refuse(reply, 'used', 'configure', record);
    }
    let result: Awaited<ReturnType<typeof confirmConfigured>>;
    try {
      result = await confirmConfigured(actionDeps, { id: record.id, actor: ACTORS.emailLink });
    } catch (error) {
      // A fault, not an answer: the request did not change, so the link works again.
      await deps.usedLinks.release(claims);
      throw error;
    }
    if (result.ok) {
      request.log.info({ requestId: record.id }, 'marked configured by the email link');
      return reply.redirect(`${LINK_PATHS.configure(request.params.token)}?done=1`, 303);
    }
    if (result.reason === 'not-found') return refuse(reply, 'not-found', 'configure');
    // Configured or cancelled already: said so, nothing changed, and the link is spent.
    return confirmPage(reply, request, result.record, { status: 409 });
  });

  // ---- The requester's status page ---------------------------------------------------------

  const testDatesField = FORM_FIELDS.find((field) => field.path === 'testDates');

  function statusPage(
    reply: FastifyReply,
    request: FastifyRequest<{ Params: { token: string } }>,
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
    const { byName, summary } = pageErrors(options.errors ?? []);
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
        // Who did each thing, beside the history rows (request-view.ts), in the same order.
        actors: record.history.map((entry) => (entry.actor ? actorName(entry.actor) : '')),
        outstanding: isOutstanding(record.status),
        updated: options.updated,
        dateFields: testDatesField?.children ?? [],
        values: { ...currentDates(record), ...options.values },
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

/** The NHS.UK error summary's list and inline messages; the withdrawal reason is not a form field. */
function pageErrors(errors: readonly FieldError[]) {
  const reason = errors.filter((error) => error.path === 'reason');
  const { byName, summary } = formErrors(errors.filter((error) => error.path !== 'reason'));
  const [first] = reason;
  if (first) byName.reason = first.message;
  return {
    byName,
    summary: [...summary, ...reason.map((error) => ({ text: error.message, href: '#reason' }))],
  };
}

/** Why a closed request cannot be changed, in words. */
function notOutstanding(record: RequestRecord): string {
  return record.status === 'configured'
    ? 'This request is already configured: nothing was changed.'
    : `This request is ${statusTag(record.status).text.toLowerCase()}: nothing was changed.`;
}

/** The request's test dates as the date boxes show them. */
function currentDates(record: RequestRecord): Record<string, string> {
  const values: Record<string, string> = {};
  const dates = record.request.testDates;
  for (const [part, date] of Object.entries({ from: dates?.from, to: dates?.to })) {
    if (date === undefined) continue;
    const [year = '', month = '', day = ''] = date.split('-');
    values[`testDates-${part}-day`] = String(Number(day));
    values[`testDates-${part}-month`] = String(Number(month));
    values[`testDates-${part}-year`] = year;
  }
  return values;
}
