// The HTML pages for DoS leads, behind the admin credentials, as the NHS.UK service manual has a
// transaction: the request form (server-rendered NHS.UK frontend, no JavaScript needed) →
// "Continue" → check your answers (from a draft in Redis) → "Send request" → a redirect to the
// request's own page, so refresh and back never send twice. Also registers the request pages: the
// list and one request's page, its email, and the actions on it (request-actions.ts).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isUnavailable } from '../../domain/errors.ts';
import { assessRequest } from '../../use-cases/assess.ts';
import { chaserPlan } from '../../domain/follow-up-schedule.ts';
import { submitRequest, type IntakeDeps } from '../../use-cases/submit.ts';
import { DRAFT_LIFETIME_MS, type Drafts } from '../../ports/drafts.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import {
  FORM_FIELDS,
  formErrors,
  formValues,
  requestFromForm,
  type FormValues,
} from './form-fields.ts';
import { outstandingRoutes } from './outstanding.ts';
import { requestActionRoutes } from './request-actions.ts';
import { createRequestPage } from './request-page.ts';
import { answerRows, urgencyTag } from './request-view.ts';
import { requestEmailRoute, type EmailSettings } from './request-email-page.ts';
import type { Views } from './views.ts';
import type { FollowUpJobs } from '../../ports/jobs.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import type { Person } from '../../domain/people/person.ts';

export interface PageDeps {
  store: RequestStore;
  intake: IntakeDeps;
  /** The notices and emails the actions on a request's page queue, and its reminder. */
  followUpJobs: FollowUpJobs;
  drafts: Drafts;
  csrf: Csrf;
  views: Views;
  /** What the worker renders the email with, to show it on /requests/:id/email. */
  email: EmailSettings;
  observeIntake?: (seconds: number) => void;
  /** Posts of the form per minute from one address. */
  formRateLimit?: number;
  /** The requester's status page (a signed link), offered on the confirmation after sending. */
  statusLinkFor?: (requestId: string) => string;
}

const STATUS_BY_OUTCOME = { invalid: 400, refused: 422, duplicate: 409 } as const;

/** A signed-in person's own details, for a form they have not started yet. */
function aboutYou(person: Person | undefined): FormValues {
  if (!person) return {};
  return {
    'requester.name': person.name,
    'requester.email': person.email,
    ...(person.organisation ? { 'requester.organisation': person.organisation } : {}),
  };
}

export async function pageRoutes(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const now = () => deps.intake.now().getTime();
  // A person reading a page gets a page when Redis is away; every other fault goes to the root.
  app.setErrorHandler((error, request, reply) => {
    if (!isUnavailable(error)) throw error;
    // The form's rate limit, counted in Redis, failed before Continue ran: its answers come back.
    if (request.method === 'POST' && request.routeOptions.url === '/') {
      reply.header('retry-after', '30');
      return formPage(reply, formValues(request.body), [{ path: '', message: SERVICE_BUSY }], 503);
    }
    return deps.views.unavailable(
      reply,
      'The requests cannot be read at the moment. Try again in a few minutes.',
    );
  });

  function formPage(
    reply: FastifyReply,
    values: FormValues,
    errors: readonly FieldError[] = [],
    status = 200,
  ) {
    const { byName, summary } = formErrors(errors);
    return deps.views.send(
      reply,
      'form.njk',
      {
        title: errors.length > 0 ? 'Error: New request' : 'New request',
        nav: 'form',
        fields: FORM_FIELDS,
        values,
        errors: byName,
        errorList: summary,
        // The waiver is asked for only where the CareConnect finding needs it (or was given).
        showWaiver:
          errors.some((error) => error.path === 'careConnect') ||
          (values.careConnectWaiver ?? '').trim() !== '',
        csrfField: CSRF_FIELD,
        csrf: deps.csrf.issue(now(), reply.request),
      },
      status,
    );
  }

  const SERVICE_BUSY =
    'The service cannot store requests at the moment. Nothing was sent; your answers are below. Try again in a few minutes.';
  const EXPIRED =
    'The form had expired or came from another site. Check your answers and send it again.';
  // Counted once the body is read, so a post the count fails on can be shown again (above).
  const formLimit = {
    config: {
      rateLimit: { max: deps.formRateLimit ?? 60, timeWindow: '1 minute', hook: 'preHandler' },
    },
  } as const;

  function draftGone(reply: FastifyReply) {
    return deps.views.send(
      reply,
      'message.njk',
      {
        title: 'Your answers have expired',
        heading: 'Your answers have expired',
        message: `We keep answers for ${DRAFT_LIFETIME_MS / 60_000} minutes before they are sent. Nothing was sent: fill in the form again.`,
        link: { href: '/', text: 'Start a new request' },
      },
      404,
    );
  }

  // "Change" on the check page comes back here with the draft's answers filled in; a new form
  // starts with a signed-in person's own name, email address and organisation.
  app.get<{ Querystring: { draft?: string } }>('/', async (request, reply) => {
    const id = request.query.draft;
    const draft = id === undefined ? undefined : await deps.drafts.load(id);
    const answers = draft?.state === 'answers' ? draft.answers : {};
    const values = Object.keys(answers).length > 0 ? answers : aboutYou(request.principal.person);
    return formPage(reply, values);
  });

  // Continue: the answers are assessed (nothing stored) and, when they would be accepted, kept in
  // a draft for the check page; otherwise the form again, with what to fix.
  app.post('/', formLimit, async (request, reply) => {
    const values = formValues(request.body);
    if (!deps.csrf.verify(request, values[CSRF_FIELD], now())) {
      request.log.warn('form refused: missing, expired or cross-site CSRF token');
      return formPage(reply, values, [{ path: '', message: EXPIRED }], 403);
    }
    const assessment = await assessRequest(requestFromForm(values), deps.intake);
    if (assessment.outcome !== 'accepted') {
      return formPage(reply, values, assessment.errors, STATUS_BY_OUTCOME[assessment.outcome]);
    }
    const { [CSRF_FIELD]: _token, ...answers } = values;
    let draft: string;
    try {
      const { request: parsed, urgency, careConnect, warnings } = assessment;
      draft = await deps.drafts.save(answers, { request: parsed, urgency, careConnect, warnings });
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      request.log.warn({ err: error.message }, 'Redis unreachable');
      return formPage(reply, values, [{ path: '', message: SERVICE_BUSY }], 503);
    }
    return reply.redirect(`/check/${draft}`, 303);
  });

  app.get<{ Params: { draft: string } }>('/check/:draft', async (request, reply) => {
    const draft = await deps.drafts.load(request.params.draft);
    if (!draft) return draftGone(reply);
    if (draft.state === 'sent') return reply.redirect(`/requests/${draft.requestId}`, 303);
    // What Continue found a moment ago: the directory is asked once more at Send, not on every
    // view or refresh of this page.
    const assessment = draft.assessed;
    const { urgency, careConnect, warnings } = assessment;
    return deps.views.send(reply, 'check.njk', {
      title: 'Check your answers',
      nav: 'form',
      draft: request.params.draft,
      // What will be sent, as the schema read it (trimmed, upper-cased), each with its Change link.
      answers: answerRows(assessment.request, { changeHref: `/?draft=${request.params.draft}` }),
      careConnect: careConnect.detail,
      urgency: `${urgencyTag(urgency.level).text}: ${urgency.reason}`,
      warnings: warnings.filter((warning) => warning !== careConnect.detail),
      csrfField: CSRF_FIELD,
      csrf: deps.csrf.issue(now(), request),
    });
  });

  // Send request: everything is assessed again and the request accepted; then the request's page.
  app.post<{ Params: { draft: string } }>('/check/:draft', formLimit, async (request, reply) => {
    const values = formValues(request.body);
    const draft = await deps.drafts.load(request.params.draft);
    if (!draft) return draftGone(reply);
    if (draft.state === 'sent') return reply.redirect(`/requests/${draft.requestId}`, 303);
    if (!deps.csrf.verify(request, values[CSRF_FIELD], now())) {
      request.log.warn('send refused: missing, expired or cross-site CSRF token');
      return formPage(reply, draft.answers, [{ path: '', message: EXPIRED }], 403);
    }
    const started = performance.now();
    let result: Awaited<ReturnType<typeof submitRequest>>;
    try {
      const { actor, person } = request.principal;
      result = await submitRequest(
        requestFromForm(draft.answers),
        { ...deps.intake, channel: 'form' },
        { actor, ...(person ? { submittedBy: person } : {}) },
      );
    } catch (error) {
      if (!isUnavailable(error)) throw error;
      request.log.warn({ err: error.message }, 'Redis unreachable');
      return formPage(reply, draft.answers, [{ path: '', message: SERVICE_BUSY }], 503);
    }
    deps.observeIntake?.((performance.now() - started) / 1000);
    if (result.outcome !== 'accepted') {
      return formPage(reply, draft.answers, result.errors, STATUS_BY_OUTCOME[result.outcome]);
    }
    request.log.info({ requestId: result.id, urgency: result.urgency.level }, 'accepted');
    await deps.drafts.markSent(request.params.draft, result.id);
    return reply.redirect(`/requests/${result.id}?sent=1`, 303);
  });

  const { calendar, chaser, thresholds } = deps.intake;
  const rating = { calendar, thresholds };
  const page = createRequestPage({
    views: deps.views,
    csrf: deps.csrf,
    now,
    rating,
    reminderOn: (record) =>
      chaser === undefined ? undefined : chaserPlan(record, calendar, chaser)?.sendOn,
    ...(deps.statusLinkFor ? { statusLinkFor: deps.statusLinkFor } : {}),
  });
  await app.register(outstandingRoutes, {
    store: deps.store,
    views: deps.views,
    now,
    rating,
    page,
  });
  await app.register(requestEmailRoute, {
    store: deps.store,
    views: deps.views,
    now,
    email: deps.email,
    cannotSee: (reply) => page.cannotSee(reply),
  });
  await app.register(requestActionRoutes, {
    actions: { ...deps.intake, store: deps.store, followUpJobs: deps.followUpJobs },
    page,
    views: deps.views,
    csrf: deps.csrf,
  });
}
