// One request's page as a reader sees it: the record and its history (request-view.ts), the actions
// their roles allow on it while it is outstanding (the BaRS team's confirm, cancel and ask for
// changes; the submitter's new test dates and withdraw), a banner for what they just did, and the
// errors of an action refused for what was typed. GET /requests/:id (outstanding.ts) and the
// actions' POSTs (request-actions.ts) render it alike; so is the page refusing a request's reader.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatLongDate, londonDate } from '../../domain/dates.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import { FORM_FIELDS, formErrors, type FormValues } from './form-fields.ts';
import { hasAnyRole, isSubmitter, type Principal } from './principal.ts';
import { requestView, statusTag, type UrgencyRating } from './request-view.ts';
import type { Views } from './views.ts';

export interface RequestPageDeps {
  views: Views;
  csrf: Csrf;
  now: () => number;
  /** The working calendar and thresholds urgency is rated with, to rate it as of today. */
  rating: UrgencyRating;
  /** The day the BaRS team is reminded about a request, when a reminder is planned. */
  reminderOn?: (record: RequestRecord) => string | undefined;
  /** The requester's status page (a signed link they can keep), for the confirmation panel. */
  statusLinkFor?: (requestId: string) => string;
}

/** The actions' paths under a request's own. */
export const ACTION_PATHS = {
  confirm: 'confirm',
  cancel: 'cancel',
  askForChanges: 'ask-for-changes',
  testDates: 'test-dates',
  withdraw: 'withdraw',
} as const;

/** What each action did, for the banner on the page it leads back to (`?done=`). */
export const DONE = {
  configured: {
    heading: 'Marked as configured',
    text: 'We are emailing the requester to say the service is live.',
  },
  cancelled: { heading: 'Request cancelled', text: 'Nothing more will be done for it.' },
  'changes-requested': {
    heading: 'Changes asked for',
    text: 'We are emailing your note to the requester. Their reply goes to the BaRS mailbox.',
  },
  'test-dates-changed': {
    heading: 'Test dates changed',
    text: 'We are emailing the new dates to the BaRS team.',
  },
  withdrawn: {
    heading: 'Request withdrawn',
    text: 'We are emailing the BaRS team to say you no longer need it.',
  },
} as const;
export type Done = keyof typeof DONE;

export function isDone(value: string | undefined): value is Done {
  return value !== undefined && Object.hasOwn(DONE, value);
}

/** The fields of the actions' forms that are not the request's own: their errors link to them. */
const ACTION_FIELDS = new Set(['note', 'reason']);

/** An action refused for what was typed: its errors and what was posted, to show it again. */
export interface ActionProblem {
  errors: readonly FieldError[];
  values: FormValues;
}

/** Errors for the NHS.UK error summary and the fields: the date boxes as the form has them. */
export function actionErrors(errors: readonly FieldError[]) {
  const dated = formErrors(errors.filter((error) => !ACTION_FIELDS.has(error.path)));
  const byName: Record<string, string> = { ...dated.byName };
  const summary = [...dated.summary];
  for (const error of errors.filter((candidate) => ACTION_FIELDS.has(candidate.path))) {
    byName[error.path] ??= error.message;
    summary.push({ text: error.message, href: `#${error.path}` });
  }
  return { byName, summary };
}

/** A request's test dates as the date boxes show them. */
export function dateValues(record: RequestRecord): FormValues {
  const values: FormValues = {};
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

const DATE_FIELDS = FORM_FIELDS.find((field) => field.path === 'testDates')?.children ?? [];

/** Which actions this reader may take on this request now. */
export function allowedActions(principal: Principal, record: RequestRecord) {
  const open = isOutstanding(record.status);
  return {
    team: open && hasAnyRole(principal, ['bars-team']),
    submitter: open && isSubmitter(principal, record),
  };
}

export function createRequestPage(deps: RequestPageDeps) {
  const { views } = deps;
  return {
    show(
      request: FastifyRequest,
      reply: FastifyReply,
      record: RequestRecord,
      options: { sent?: boolean; done?: Done; problem?: ActionProblem; status?: number } = {},
    ): FastifyReply {
      const today = londonDate(new Date(deps.now()));
      const reminder = deps.reminderOn?.(record);
      const { byName, summary } = actionErrors(options.problem?.errors ?? []);
      const reference = referenceFor(record.id);
      const title = options.sent ? 'Request sent' : `Request ${reference}`;
      const base = `/requests/${encodeURIComponent(record.id)}`;
      return views.send(
        reply,
        'request.njk',
        {
          title: summary.length > 0 ? `Error: ${title}` : title,
          nav: 'requests',
          record,
          reference,
          sent: options.sent ?? false,
          statusLink: options.sent ? deps.statusLinkFor?.(record.id) : undefined,
          done: options.done ? DONE[options.done] : undefined,
          reminderOn: reminder ? formatLongDate(reminder) : undefined,
          view: requestView(record, today, deps.rating),
          actions: allowedActions(request.principal, record),
          paths: Object.fromEntries(
            Object.entries(ACTION_PATHS).map(([name, path]) => [name, `${base}/${path}`]),
          ),
          dateFields: DATE_FIELDS,
          values: { ...dateValues(record), ...options.problem?.values },
          errors: byName,
          errorList: summary,
          csrfField: CSRF_FIELD,
          csrf: deps.csrf.issue(deps.now(), request),
        },
        options.status ?? 200,
      );
    },

    /** A request the reader may not see: they sent others, not this one. */
    cannotSee(reply: FastifyReply): FastifyReply {
      return views.send(
        reply,
        'message.njk',
        {
          title: 'You cannot see this request',
          heading: 'You cannot see this request',
          message:
            'This request was sent by someone else. You can see and change the requests you sent yourself.',
        },
        403,
      );
    },

    /** An action on a request that is no longer outstanding: what it is now, nothing changed. */
    notAllowed(reply: FastifyReply, record: RequestRecord): FastifyReply {
      const status = statusTag(record.status).text.toLowerCase();
      return views.send(
        reply,
        'message.njk',
        {
          title: 'This request cannot be changed',
          heading: 'This request cannot be changed',
          message: `Request ${referenceFor(record.id)} is ${status}: only a request that is still outstanding can be changed. Nothing was changed.`,
          link: { href: `/requests/${encodeURIComponent(record.id)}`, text: 'Back to the request' },
        },
        409,
      );
    },

    /** A form refused for its CSRF token (expired, or posted from another site): nothing changed. */
    expired(reply: FastifyReply, id: string): FastifyReply {
      return views.send(
        reply,
        'message.njk',
        {
          title: 'The form has expired',
          heading: 'The form has expired',
          message:
            'The form had expired or came from another site. Nothing was changed. Go back to the request and try again.',
          link: { href: `/requests/${encodeURIComponent(id)}`, text: 'Back to the request' },
        },
        403,
      );
    },
  };
}

export type RequestPage = ReturnType<typeof createRequestPage>;
