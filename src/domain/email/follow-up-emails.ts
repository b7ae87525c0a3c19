// The emails that follow a request: the chaser to the BaRS mailbox, the overdue notice and the
// "you are live" notice to the requester alone, and the emails an action on a request sends (the
// BaRS team asks the requester for changes; the requester tells the BaRS mailbox of new test dates,
// or that they withdrew it). Each threads under the original email (In-Reply-To/References) and has
// a Message-ID of its own, the same on every retry.
import { formatLongDate, londonDate, type IsoDate } from '../dates.ts';
import type { Actor } from '../people/person.ts';
import type { RequestRecord } from '../request/record.ts';
import type { ConfigurationRequest } from '../request/schema.ts';
import type { Urgency, UrgencyLevel } from '../urgency.ts';
import type { WorkingCalendar } from '../working-days.ts';
import { configurationEmailFor } from './configuration-email.ts';
import { mailbox, messageIdFor, type OutgoingEmail, type TemplateRenderer } from './message.ts';

export type FollowUpKind =
  | 'chaser'
  | 'overdue'
  | 'configured'
  | 'configured-by-hand'
  | 'changes-requested'
  | 'test-dates-changed'
  | 'withdrawn';

export interface MailSettings {
  from: string;
  /** The BaRS mailbox (MAIL_TO). */
  to: string;
}

type TestDates = NonNullable<ConfigurationRequest['testDates']>;

/** "Tuesday 1 December 2026 to Friday 4 December 2026", or the one day, or none. */
export function datesText(dates: TestDates | undefined): string {
  if (!dates) return 'none proposed';
  return dates.to && dates.to !== dates.from
    ? `${formatLongDate(dates.from)} to ${formatLongDate(dates.to)}`
    : formatLongDate(dates.from);
}

function testDatesText(record: RequestRecord): string {
  return datesText(record.request.testDates);
}

/** The day the original email went, from the history; acceptance day if it has not gone. */
function sentOn(record: RequestRecord): IsoDate {
  const sent = record.history.find((entry) => entry.event === 'sent');
  return londonDate(new Date(sent?.at ?? record.createdAt));
}

function commonView(record: RequestRecord, settings: MailSettings) {
  const { request } = record;
  return {
    id: record.id,
    request: {
      dosServiceId: request.dosServiceId,
      environment: request.environment,
      endpoint: request.endpoint,
      odsCode: request.odsCode,
      serviceName: request.serviceName ?? null,
      requester: {
        name: request.requester.name,
        email: request.requester.email,
        organisation: request.requester.organisation ?? null,
      },
    },
    environmentName: request.environment === 'PROD' ? 'Production (Prod)' : 'Integration (INT)',
    testDatesText: testDatesText(record),
    testStartText: record.earliestTestDate ? formatLongDate(record.earliestTestDate) : null,
    mailTo: settings.to,
  };
}

function compose(
  kind: FollowUpKind,
  record: RequestRecord,
  view: object,
  address: Pick<OutgoingEmail, 'to' | 'cc' | 'replyTo' | 'priority'>,
  settings: MailSettings,
  renderer: TemplateRenderer,
  /** For a kind that may go more than once: what tells this one apart (its history entry). */
  occurrence?: number,
): OutgoingEmail {
  const subject = renderer.render(`${kind}.subject.njk`, view).replace(/\s+/g, ' ').trim();
  const key = occurrence === undefined ? record.id : `${record.id}-${occurrence}`;
  return {
    messageId: messageIdFor(`${kind}-${key}`, settings.from),
    from: settings.from,
    ...address,
    subject,
    text: renderer.render(`${kind}.text.njk`, view),
    html: renderer.render(`${kind}.html.njk`, { ...view, subject }),
    inReplyTo: record.messageId,
    references: record.messageId,
    headers: {
      'X-Ecat-Request-Id': record.id,
      'X-Ecat-Template': `${kind}@${renderer.version(kind)}`,
      'X-Ecat-Follow-Up': kind,
    },
    attachments: [],
  };
}

/** To the BaRS mailbox, Cc and Reply-To the requester; marked high priority when urgent. */
function toBarsTeam(
  record: RequestRecord,
  settings: MailSettings,
  urgency: UrgencyLevel,
): Pick<OutgoingEmail, 'to' | 'cc' | 'replyTo' | 'priority'> {
  const requester = requesterMailbox(record);
  return {
    to: settings.to,
    cc: requester,
    replyTo: requester,
    priority: urgency === 'urgent' ? 'high' : 'normal',
  };
}

/** The reminder to the BaRS mailbox, Cc the requester: "Reminder: <the original subject>". */
export function renderChaserEmail(
  record: RequestRecord,
  today: IsoDate,
  calendar: WorkingCalendar,
  settings: MailSettings,
  renderer: TemplateRenderer,
): OutgoingEmail {
  // The original subject, rendered as it was sent, so mail clients group the two.
  const original = configurationEmailFor(record, settings, renderer);
  const left = record.earliestTestDate
    ? calendar.workingDaysBetween(today, record.earliestTestDate)
    : 0;
  const view = {
    ...commonView(record, settings),
    originalSubject: original.subject,
    sentOnText: formatLongDate(sentOn(record)),
    workingDaysLeftText: left === 1 ? 'in 1 working day' : `in ${left} working days`,
  };
  return compose(
    'chaser',
    record,
    view,
    toBarsTeam(record, settings, record.urgency.level),
    settings,
    renderer,
  );
}

const STATUS_TEXT: Record<string, string> = {
  queued: 'Our email to the BaRS team has not gone yet: the mail server could not be reached.',
  sent: 'Our email to the BaRS team was delivered, but they have not confirmed the change.',
  failed: 'Our email to the BaRS team could not be delivered; please contact them directly.',
};

/** The requester as an address line: `Name <email>`. */
function requesterMailbox(record: RequestRecord): string {
  return mailbox(record.request.requester.name, record.request.requester.email);
}

/** The request's own page, under the service's public address (PUBLIC_URL, no trailing slash). */
export function requestPageUrl(publicUrl: string, id: string): string {
  return `${publicUrl}/requests/${encodeURIComponent(id)}`;
}

/**
 * To the requester alone: testing was due to start and the service is not configured. It says
 * what to do in words and links to the request's page; the requester has no command line
 * (DOMAIN.md: never a command in a notice).
 */
export function renderOverdueEmail(
  record: RequestRecord,
  settings: MailSettings,
  renderer: TemplateRenderer,
  publicUrl: string,
): OutgoingEmail {
  const view = {
    ...commonView(record, settings),
    statusText: STATUS_TEXT[record.status] ?? `The request is ${record.status}.`,
    requestPageUrl: requestPageUrl(publicUrl, record.id),
  };
  const requester = requesterMailbox(record);
  return compose('overdue', record, view, { to: requester, priority: 'high' }, settings, renderer);
}

/**
 * To the requester alone: the service is in the catalogue. `by` says how that is known: the BaRS
 * proxy routed to it (the catalogue check), or the BaRS team confirmed it by hand.
 */
export function renderConfiguredEmail(
  record: RequestRecord,
  confirmedAt: Date,
  settings: MailSettings,
  renderer: TemplateRenderer,
  by: 'proxy' | 'hand' = 'proxy',
): OutgoingEmail {
  const view = {
    ...commonView(record, settings),
    confirmedAtText: formatLongDate(londonDate(confirmedAt)),
  };
  const requester = requesterMailbox(record);
  return compose(
    by === 'proxy' ? 'configured' : 'configured-by-hand',
    record,
    view,
    { to: requester, priority: 'normal' },
    settings,
    renderer,
  );
}

/** The subject's urgency marker, as CONTRACT.md fixes it for the email to the BaRS mailbox. */
const URGENCY_PREFIX: Record<UrgencyLevel, string> = {
  urgent: '[URGENT] ',
  high: '[HIGH] ',
  routine: '',
};

const URGENCY_LABEL: Record<UrgencyLevel, string> = {
  urgent: 'Urgent',
  high: 'High',
  routine: 'Routine',
};

/**
 * The original email's subject without its urgency marker: a follow-up about an action says what it
 * is first ("New test dates: …"), and mail clients still group it by the rest.
 */
function originalTopic(
  record: RequestRecord,
  settings: MailSettings,
  renderer: TemplateRenderer,
): string {
  return configurationEmailFor(record, settings, renderer).subject.replace(
    /^\[(URGENT|HIGH)\] /,
    '',
  );
}

/** A person by name; one of ecat's own parts (a link, the local operator) names nobody. */
function personName(actor: Actor | undefined): string | null {
  return actor?.kind === 'person' ? actor.name : null;
}

/** An action on a request, as its email tells of it: the history entry and who acted. */
export interface ActionFacts {
  /** Where the entry is in the history: its email's Message-ID is derived from it. */
  entry: number;
  actor?: Actor;
}

/**
 * To the requester, Reply-To the BaRS mailbox: the BaRS team needs changes before it can add the
 * service, in the team's own words (`note`), and what the requester can do about it.
 */
export function renderChangesRequestedEmail(
  record: RequestRecord,
  facts: ActionFacts & { note: string },
  settings: MailSettings,
  renderer: TemplateRenderer,
  publicUrl: string,
): OutgoingEmail {
  const view = {
    ...commonView(record, settings),
    originalTopic: originalTopic(record, settings, renderer),
    note: facts.note,
    askedBy: personName(facts.actor),
    requestPageUrl: requestPageUrl(publicUrl, record.id),
  };
  const requester = requesterMailbox(record);
  return compose(
    'changes-requested',
    record,
    view,
    { to: requester, replyTo: settings.to, priority: 'normal' },
    settings,
    renderer,
    facts.entry,
  );
}

/** The change of test dates an email tells of, as it was made (later changes have their own). */
export interface TestDatesChangeFacts extends ActionFacts {
  before?: TestDates;
  after: TestDates;
  urgencyBefore: UrgencyLevel;
  urgency: Pick<Urgency, 'level' | 'reason'>;
}

/**
 * To the BaRS mailbox, Cc and Reply-To the requester: the proposed test dates changed, what they
 * were and are, and the urgency they give the request now (its subject marked as the original's).
 */
export function renderTestDatesChangedEmail(
  record: RequestRecord,
  facts: TestDatesChangeFacts,
  settings: MailSettings,
  renderer: TemplateRenderer,
): OutgoingEmail {
  const { urgency } = facts;
  const view = {
    ...commonView(record, settings),
    originalTopic: originalTopic(record, settings, renderer),
    subjectPrefix: URGENCY_PREFIX[urgency.level],
    changedBy: personName(facts.actor),
    beforeText: datesText(facts.before),
    afterText: datesText(facts.after),
    urgencyText: `${URGENCY_LABEL[urgency.level]}: ${urgency.reason}`,
    urgencyBeforeText:
      facts.urgencyBefore === urgency.level ? null : URGENCY_LABEL[facts.urgencyBefore],
  };
  return compose(
    'test-dates-changed',
    record,
    view,
    toBarsTeam(record, settings, urgency.level),
    settings,
    renderer,
    facts.entry,
  );
}

/** To the BaRS mailbox, Cc and Reply-To the requester: the requester no longer wants it done. */
export function renderWithdrawnEmail(
  record: RequestRecord,
  facts: ActionFacts & { reason?: string },
  settings: MailSettings,
  renderer: TemplateRenderer,
): OutgoingEmail {
  const view = {
    ...commonView(record, settings),
    originalTopic: originalTopic(record, settings, renderer),
    withdrawnBy: personName(facts.actor),
    reason: facts.reason ?? null,
    sentOnText: formatLongDate(sentOn(record)),
  };
  return compose(
    'withdrawn',
    record,
    view,
    toBarsTeam(record, settings, 'routine'),
    settings,
    renderer,
    facts.entry,
  );
}
