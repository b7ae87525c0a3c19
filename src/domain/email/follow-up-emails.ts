// The emails that follow a request: the chaser to the BaRS mailbox, the overdue notice and the
// "you are live" notice to the requester alone. Each threads under the original email
// (In-Reply-To/References) and has a Message-ID of its own, the same on every retry.
import { formatLongDate, londonDate, type IsoDate } from '../dates.ts';
import type { RequestRecord } from '../request/record.ts';
import type { WorkingCalendar } from '../working-days.ts';
import { renderConfigurationEmail } from './configuration-email.ts';
import { mailbox, messageIdFor, type OutgoingEmail, type TemplateRenderer } from './message.ts';

export type FollowUpKind = 'chaser' | 'overdue' | 'configured';

export interface MailSettings {
  from: string;
  /** The BaRS mailbox (MAIL_TO). */
  to: string;
}

function testDatesText(record: RequestRecord): string {
  const dates = record.request.testDates;
  if (!dates) return 'none proposed';
  return dates.to && dates.to !== dates.from
    ? `${formatLongDate(dates.from)} to ${formatLongDate(dates.to)}`
    : formatLongDate(dates.from);
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
): OutgoingEmail {
  const subject = renderer.render(`${kind}.subject.njk`, view).replace(/\s+/g, ' ').trim();
  return {
    messageId: messageIdFor(`${kind}-${record.id}`, settings.from),
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

/** The reminder to the BaRS mailbox, Cc the requester: "Reminder: <the original subject>". */
export function renderChaserEmail(
  record: RequestRecord,
  today: IsoDate,
  calendar: WorkingCalendar,
  settings: MailSettings,
  renderer: TemplateRenderer,
): OutgoingEmail {
  // The original subject, rendered as it was sent, so mail clients group the two.
  const original = renderConfigurationEmail(
    {
      id: record.id,
      messageId: record.messageId,
      assessed: record,
      today: londonDate(new Date(record.createdAt)),
    },
    settings,
    renderer,
  );
  const left = record.earliestTestDate
    ? calendar.workingDaysBetween(today, record.earliestTestDate)
    : 0;
  const view = {
    ...commonView(record, settings),
    originalSubject: original.subject,
    sentOnText: formatLongDate(sentOn(record)),
    workingDaysLeftText: left === 1 ? 'in 1 working day' : `in ${left} working days`,
  };
  const requester = mailbox(record.request.requester.name, record.request.requester.email);
  return compose(
    'chaser',
    record,
    view,
    {
      to: settings.to,
      cc: requester,
      replyTo: requester,
      priority: record.urgency.level === 'urgent' ? 'high' : 'normal',
    },
    settings,
    renderer,
  );
}

const STATUS_TEXT: Record<string, string> = {
  queued: 'Our email to the BaRS team has not gone yet: the mail server could not be reached.',
  sent: 'Our email to the BaRS team was delivered, but they have not confirmed the change.',
  failed: 'Our email to the BaRS team could not be delivered; please contact them directly.',
};

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
  const requester = mailbox(record.request.requester.name, record.request.requester.email);
  return compose('overdue', record, view, { to: requester, priority: 'high' }, settings, renderer);
}

/** To the requester alone: the BaRS proxy now routes to the service. */
export function renderConfiguredEmail(
  record: RequestRecord,
  confirmedAt: Date,
  settings: MailSettings,
  renderer: TemplateRenderer,
): OutgoingEmail {
  const view = {
    ...commonView(record, settings),
    confirmedAtText: formatLongDate(londonDate(confirmedAt)),
  };
  const requester = mailbox(record.request.requester.name, record.request.requester.email);
  return compose(
    'configured',
    record,
    view,
    { to: requester, priority: 'normal' },
    settings,
    renderer,
  );
}
