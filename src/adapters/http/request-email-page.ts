// /requests/:id/email: the email to the BaRS team as it was sent (or, before it goes, as it will
// be), so a DoS lead can see what the BaRS team was asked without searching a mailbox. Rendered
// again from the record by the worker's own renderer and settings: the record is what the worker
// rendered from (a CareConnect re-check writes its finding back before the send).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { londonDate } from '../../domain/dates.ts';
import { configurationEmailFor } from '../../domain/email/configuration-email.ts';
import type { TemplateRenderer } from '../../domain/email/message.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import { findRequest, requestNotFound } from './outstanding.ts';
import { canSee } from './principal.ts';
import { sentEntry } from './request-view.ts';
import type { Views } from './views.ts';

export interface EmailSettings {
  renderer: TemplateRenderer;
  /** MAIL_FROM and MAIL_TO, as the worker sends with them. */
  from: string;
  to: string;
  /** Without PUBLIC_URL the email went without links, and is shown so; with it, they are withheld. */
  linksUnavailable: boolean;
}

/** Why there is no sent email, in words, for each status it can be missing in. */
function notSent(record: RequestRecord): string {
  switch (record.status) {
    case 'queued':
      return 'This email has not been sent yet. It goes to the BaRS team shortly; this is how it will read.';
    case 'failed':
      return 'This email was not sent: sending it failed (the request’s history says why). This is how it would have read.';
    case 'cancelled':
      return 'This email was not sent: the request was cancelled before it went. This is how it would have read.';
    case 'configured':
    case 'sent':
      return 'This email was not sent: the request was settled before it went. This is how it would have read.';
  }
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports
export async function requestEmailRoute(
  app: FastifyInstance,
  deps: {
    store: RequestStore;
    views: Views;
    now: () => number;
    email: EmailSettings;
    /** A request its reader may not see gets the page saying so (request-page.ts). */
    cannotSee: (reply: FastifyReply) => FastifyReply;
  },
): Promise<void> {
  app.get<{ Params: { id: string } }>('/requests/:id/email', async (request, reply) => {
    const today = londonDate(new Date(deps.now()));
    const record = await findRequest(deps.store, request.params.id, today);
    if (!record) {
      return deps.views.send(reply, 'message.njk', requestNotFound(request.params.id), 404);
    }
    if (!canSee(request.principal, record)) return deps.cannotSee(reply);
    const { renderer, from, to } = deps.email;
    // The worker's own inputs (send-request-email.ts), so the same text comes out.
    const email = configurationEmailFor(
      record,
      { from, to },
      renderer,
      deps.email.linksUnavailable ? { unavailable: true } : undefined,
    );
    const sent = sentEntry(record);
    const sentTemplate = sent?.details?.template;
    return deps.views.send(reply, 'request-email.njk', {
      title: `Email for request ${referenceFor(record.id)}`,
      nav: 'requests',
      record,
      reference: referenceFor(record.id),
      email,
      sentAt: sent?.at,
      notSent: sent ? undefined : notSent(record),
      // The templates can change after an email went: then this text may not be word for word.
      templatesChanged:
        typeof sentTemplate === 'string' &&
        sentTemplate !== '' &&
        sentTemplate !== email.headers['X-Ecat-Template'],
    });
  });
}
