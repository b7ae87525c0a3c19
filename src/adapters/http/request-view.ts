// A request as its pages show it to people: statuses, urgency and history in words (NHS.UK tags
// for the first two), urgency as of today, no path on our server, the CareConnect waiver once.
import { CARECONNECT_WORDS, withoutServerPaths } from '../../domain/email/configuration-email.ts';
import { formatLongDate, londonDate, type IsoDate } from '../../domain/dates.ts';
import { actorName } from '../../domain/people/person.ts';
import {
  isOutstanding,
  type HistoryEntry,
  type RequestRecord,
  type RequestStatus,
} from '../../domain/request/record.ts';
import type { UrgencyLevel } from '../../domain/urgency.ts';
import type { ConfigurationRequest } from '../../domain/request/schema.ts';
import { urgencyAsOf, type UrgencyRating } from '../../domain/request/urgency-today.ts';
import { FORM_FIELDS } from './form-fields.ts';

/** An NHS.UK tag: its words and its colour class. */
export interface Tag {
  text: string;
  classes: string;
}

const STATUS: Record<RequestStatus, Tag & { meaning: string }> = {
  queued: {
    text: 'Queued',
    classes: 'nhsuk-tag--grey',
    meaning: 'Accepted, and about to be emailed to the BaRS team.',
  },
  sent: {
    text: 'Sent',
    classes: 'nhsuk-tag--blue',
    meaning: 'Emailed to the BaRS team, who add the service to the BaRS Endpoint Catalogue.',
  },
  configured: {
    text: 'Configured',
    classes: 'nhsuk-tag--green',
    meaning: 'The service is in the BaRS Endpoint Catalogue.',
  },
  failed: {
    text: 'Failed',
    classes: 'nhsuk-tag--red',
    meaning: 'The email to the BaRS team could not be sent: the history says why.',
  },
  cancelled: {
    text: 'Cancelled',
    classes: 'nhsuk-tag--white',
    meaning: 'Cancelled: nothing more will be done for it.',
  },
};

const URGENCY: Record<UrgencyLevel, Tag> = {
  urgent: { text: 'Urgent', classes: 'nhsuk-tag--red' },
  high: { text: 'High', classes: 'nhsuk-tag--orange' },
  routine: { text: 'Routine', classes: 'nhsuk-tag--grey' },
};

/** History events in words; one not listed here (added later) shows as it is stored. */
const EVENTS: Record<string, string> = {
  queued: 'Accepted',
  sent: 'Email sent',
  failed: 'Failed',
  configured: 'Configured',
  cancelled: 'Cancelled',
  retry: 'Email not sent, trying again',
  deferred: 'Email delayed',
  recheck: 'CareConnect checked again',
  chaser: 'Reminder sent to the BaRS team',
  'chaser-skipped': 'No reminder sent',
  'chaser-failed': 'Reminder not sent',
  overdue: 'Overdue',
  'overdue-notice': 'Requester told it is overdue',
  'overdue-notice-failed': 'Overdue notice not sent',
  'configured-notice': 'Requester told it is configured',
  'configured-notice-failed': 'Configured notice not sent',
  'changes-requested': 'Changes asked for',
  'changes-requested-email': 'Requester emailed the changes asked for',
  'changes-requested-email-failed': 'Email about changes not sent',
  'test-dates-changed': 'Test dates changed',
  'test-dates-changed-email': 'BaRS team told of the new test dates',
  'test-dates-changed-email-failed': 'Email about new test dates not sent',
  withdrawn: 'Withdrawn by the requester',
  'withdrawn-email': 'BaRS team told it was withdrawn',
  'withdrawn-email-failed': 'Email about the withdrawal not sent',
};

export function statusTag(status: RequestStatus): Tag & { meaning: string } {
  return STATUS[status];
}

export function urgencyTag(level: UrgencyLevel): Tag {
  return URGENCY[level];
}

// Rated in the domain, where `ecat export --format csv` rates requests as the pages do.
export { urgencyAsOf, type UrgencyRating };

// The outbox mailer's receipt names the file it wrote ("written to /srv/ecat/var/outbox/….eml"):
// where it is on our server is for whoever runs ecat, not for the people reading the page.
const OUTBOX_FILE = /written to .+?\.eml\b/g;

export function withoutPaths(text: string): string {
  return withoutServerPaths(text).replace(OUTBOX_FILE, 'written to the outbox');
}

export interface HistoryRow {
  at: string;
  event: string;
  status: Tag;
  reason: string;
  /** Who did it, in words: "Ada Lovelace (ada@nhs.net)", "the worker". */
  who: string;
}

/** Old "by" values, from before a history named its actor, in words. */
const BY: Record<string, string> = {
  catalogue: 'the BaRS proxy',
  'hand (cli)': 'the command line',
  'hand (api)': 'the API',
};

/** Who an entry names; one written before people names what its `by` says, or nobody. */
export function whoDid(entry: HistoryEntry): string {
  if (entry.actor) return actorName(entry.actor);
  const by = entry.details?.by;
  return typeof by === 'string' && by !== '' ? (BY[by] ?? by) : '—';
}

export function historyRows(history: readonly HistoryEntry[]): HistoryRow[] {
  return history.map((entry) => ({
    at: entry.at,
    event: EVENTS[entry.event] ?? entry.event,
    status: STATUS[entry.status],
    reason: withoutPaths(entry.reason),
    who: whoDid(entry),
  }));
}

/** The entry for the email to the BaRS team, once it went. */
export function sentEntry(record: Pick<RequestRecord, 'history'>): HistoryEntry | undefined {
  return record.history.find((entry) => entry.event === 'sent');
}

type SummaryRow = {
  key: { text: string };
  value: { text: string };
  actions?: { items: { href: string; text: string; visuallyHiddenText: string }[] };
};

function valueAt(path: string, request: ConfigurationRequest): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[key]
          : undefined,
      request,
    );
}

/**
 * A request's answers in the form's order and wording: on its page, and on the check page before
 * it is sent, where each has a "Change" link back to the form (`changeHref`, at the field). A date
 * is shown in words, the environment by its name. A waived finding quotes the waiver in the
 * CareConnect row (check-careconnect.ts), so its own row would say it twice (`skipWaiver`).
 */
export function answerRows(
  request: ConfigurationRequest,
  options: { changeHref?: string; skipWaiver?: boolean } = {},
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const field of FORM_FIELDS) {
    if (options.skipWaiver && field.path === 'careConnectWaiver') continue;
    for (const item of field.children ?? [field]) {
      const value = valueAt(item.path, request);
      if (typeof value !== 'string' || value === '') continue;
      const shown =
        item.control === 'date'
          ? formatLongDate(value)
          : (item.choices?.find((choice) => choice.value === value)?.text ?? value);
      const key = item.label.replace(' (optional)', '');
      const anchor = item.control === 'date' ? `${item.name}-day` : item.name;
      rows.push({
        key: { text: key },
        value: { text: shown },
        ...(options.changeHref === undefined
          ? {}
          : {
              actions: {
                items: [
                  {
                    href: `${options.changeHref}#${anchor}`,
                    text: 'Change',
                    visuallyHiddenText: key.toLowerCase(),
                  },
                ],
              },
            }),
      });
    }
  }
  return rows;
}

/** Everything the request page shows about a record, as of `today`. */
export function requestView(record: RequestRecord, today: IsoDate, rating: UrgencyRating) {
  const outstanding = isOutstanding(record.status);
  // Once it is configured or cancelled, how soon testing starts no longer asks anything of anyone.
  const urgency = outstanding ? urgencyAsOf(record, today, rating) : record.urgency;
  const careConnect = withoutPaths(record.careConnect.detail);
  return {
    status: statusTag(record.status),
    urgency: {
      ...urgencyTag(urgency.level),
      label: outstanding ? 'Urgency' : 'Urgency when submitted',
      reason: `${urgency.reason.charAt(0).toUpperCase()}${urgency.reason.slice(1)}`,
      // Without test dates the rating cannot move, so "as of today" would say nothing.
      asOfToday: outstanding && record.earliestTestDate !== undefined,
      // Said when it has moved since submission, so the email's rating is not a surprise.
      whenSubmitted:
        outstanding && urgency.level !== record.urgency.level
          ? urgencyTag(record.urgency.level).text
          : undefined,
    },
    careConnect: { label: CARECONNECT_WORDS[record.careConnect.status], detail: careConnect },
    submittedOn: formatLongDate(londonDate(new Date(record.createdAt))),
    answers: answerRows(record.request, { skipWaiver: record.careConnect.status === 'waived' }),
    // The CareConnect row states a waived or unverified finding already.
    warnings: record.warnings.map(withoutPaths).filter((warning) => warning !== careConnect),
    history: historyRows(record.history),
    emailSent: sentEntry(record) !== undefined,
  };
}
