// The email to the BaRS mailbox as data: the view model its templates read (typed here), the
// rendered parts, the catalogue entry attached as a FHIR Bundle, and the signed links it carries
// (made by the caller: README "Links in the email").
import { DOS_SERVICE_ID_SYSTEM } from '../careconnect/dos-bundle.ts';
import type { CareConnectStatus } from '../careconnect/finding.ts';
import { formatLongDate, londonDate, type IsoDate } from '../dates.ts';
import type { AssessedRequest } from '../request/record.ts';
import type { UrgencyLevel } from '../urgency.ts';
import { catalogueBundle } from './catalogue-bundle.ts';
import { mailbox, type OutgoingEmail, type TemplateRenderer } from './message.ts';

const URGENCY_WORDS: Record<UrgencyLevel, { prefix: string | null; label: string }> = {
  urgent: { prefix: 'URGENT', label: 'Urgent' },
  high: { prefix: 'HIGH', label: 'High' },
  routine: { prefix: null, label: 'Routine' },
};

export const CARECONNECT_WORDS: Record<CareConnectStatus, string> = {
  careconnect: 'CareConnect configured',
  gpconnect: 'GP Connect only (no CareConnect ASID: endpoint)',
  missing: 'No scheduling endpoint in DoS',
  malformed: 'Scheduling endpoint present but malformed',
  unverified: 'Not verified in DoS',
  waived: 'Not configured: waived by the requester',
};

/** The BaRS proxy's source addresses a receiver must allow (DOMAIN.md). */
export const PROXY_SOURCE_ADDRESSES = {
  INT: ['35.197.254.55', '35.246.55.143'],
  PROD: ['34.89.0.111', '34.89.69.6'],
} as const;

/**
 * The links in the email, as ready-made URLs: the BaRS team's "Mark as configured" and the
 * requester's status page; `unavailable` when ecat has no PUBLIC_URL to link to. Not given: the
 * email is being shown again (its page, a preview), and each link is said to be in the email
 * as sent, since a token shown on a page would be a second, live credential.
 */
export type EmailLinks = { configure: string; status: string } | { unavailable: true };

const ENVIRONMENT_SHORT = { INT: 'INT', PROD: 'Prod' } as const;

function linksView(links: EmailLinks | undefined, environment: keyof typeof ENVIRONMENT_SHORT) {
  const configureLabel = `Mark as configured in ${ENVIRONMENT_SHORT[environment]}`;
  if (links === undefined) {
    return { state: 'withheld', configureLabel, configureUrl: null, statusUrl: null } as const;
  }
  if ('unavailable' in links) {
    return { state: 'unavailable', configureLabel, configureUrl: null, statusUrl: null } as const;
  }
  return {
    state: 'live',
    configureLabel,
    configureUrl: links.configure,
    statusUrl: links.status,
  } as const;
}

export interface ConfigurationEmailInput {
  id: string;
  messageId: string;
  assessed: AssessedRequest;
  /** The day the attached Endpoint's period starts when no test date was given (London). */
  today: IsoDate;
  /**
   * When the request was made (an instant, e.g. the record's createdAt): the attachment's
   * `meta.lastUpdated`. Without it, the start of `today` (UTC) stands in.
   */
  requestedAt?: string;
  /** See EmailLinks: absent when the email is shown again rather than sent. */
  links?: EmailLinks;
}

// Findings stored before the snapshot stopped naming its file ("DoS snapshot config/directory.json")
// still carry a path on our server; the BaRS team has no use for it, so the email names the source.
const SNAPSHOT_SOURCE = /\(DoS snapshot [^()]+\)/g;

export function withoutServerPaths(text: string): string {
  return text.replace(SNAPSHOT_SOURCE, '(DoS snapshot)');
}

export function renderConfigurationEmail(
  input: ConfigurationEmailInput,
  settings: { from: string; to: string },
  renderer: TemplateRenderer,
): OutgoingEmail {
  const { request, urgency, careConnect } = input.assessed;
  const family = 'configuration-request';
  const attachmentName = `endpoint-${request.dosServiceId}-${request.environment}.json`;
  const dates = request.testDates;
  const careConnectDetail = withoutServerPaths(careConnect.detail);
  // A waived or unverified finding is also a warning; the CareConnect section states it once.
  const warnings = input.assessed.warnings
    .map(withoutServerPaths)
    .filter((warning) => warning !== careConnectDetail);
  const view = {
    id: input.id,
    request: {
      ...request,
      serviceName: request.serviceName ?? null,
      supplier: request.supplier ?? null,
      productId: request.productId ?? null,
      tccReference: request.tccReference ?? null,
      notes: request.notes ?? null,
      requester: {
        ...request.requester,
        organisation: request.requester.organisation ?? null,
        phone: request.requester.phone ?? null,
      },
    },
    environmentName: request.environment === 'PROD' ? 'Production (Prod)' : 'Integration (INT)',
    testDatesText: !dates
      ? 'none proposed yet'
      : dates.to && dates.to !== dates.from
        ? `${formatLongDate(dates.from)} to ${formatLongDate(dates.to)}`
        : formatLongDate(dates.from),
    urgency: { ...URGENCY_WORDS[urgency.level], level: urgency.level, reason: urgency.reason },
    // What the BaRS engineer types into the catalogue: the proxy routes by system + value to the
    // base URL (DOMAIN.md). The endpoint is already the parsed URL written back out.
    routing: {
      system: DOS_SERVICE_ID_SYSTEM,
      serviceId: request.dosServiceId,
      baseUrl: request.endpoint,
    },
    // The receiver's certificate is issued for its FQDN: CN = the endpoint's host.
    endpointHost: new URL(request.endpoint).hostname,
    careConnect: {
      label: CARECONNECT_WORDS[careConnect.status],
      address: careConnect.address ?? null,
      detail: careConnectDetail,
    },
    warnings,
    proxyAddresses: PROXY_SOURCE_ADDRESSES[request.environment],
    attachmentName,
    links: linksView(input.links, request.environment),
  };
  const subject = renderer.render(`${family}.subject.njk`, view).replace(/\s+/g, ' ').trim();
  const bundle = catalogueBundle(request, {
    id: input.id,
    today: input.today,
    requestedAt: input.requestedAt ?? `${input.today}T00:00:00Z`,
  });
  const requester = mailbox(request.requester.name, request.requester.email);
  return {
    messageId: input.messageId,
    from: settings.from,
    to: settings.to,
    cc: requester,
    replyTo: requester,
    subject,
    text: renderer.render(`${family}.text.njk`, view),
    html: renderer.render(`${family}.html.njk`, { ...view, subject }),
    priority: urgency.level === 'urgent' ? 'high' : 'normal',
    headers: {
      'X-Ecat-Request-Id': input.id,
      'X-Ecat-Template': `${family}@${renderer.version(family)}`,
    },
    attachments: [
      {
        filename: attachmentName,
        contentType: 'application/fhir+json',
        content: `${JSON.stringify(bundle, null, 2)}\n`,
      },
    ],
  };
}

/**
 * The email a stored request becomes, the same on every attempt and whenever it is shown again:
 * its own id and Message-ID, and the day it was made for the attachment's dates. Only the links
 * differ: the worker passes fresh ones on each attempt; shown again, it has none (EmailLinks).
 */
export function configurationEmailFor(
  record: AssessedRequest & { id: string; messageId: string; createdAt: string },
  settings: { from: string; to: string },
  renderer: TemplateRenderer,
  links?: EmailLinks,
): OutgoingEmail {
  return renderConfigurationEmail(
    {
      id: record.id,
      messageId: record.messageId,
      assessed: record,
      today: londonDate(new Date(record.createdAt)),
      requestedAt: record.createdAt,
      ...(links ? { links } : {}),
    },
    settings,
    renderer,
  );
}
