// The BaRS team's "Mark as configured" link in the email (README "Links in the email"):
// GET /link/:token shows the request, POST marks it configured, once (the token's nonce is claimed
// in Redis first, so two clicks or two processes change it once).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ACTORS } from '../../domain/people/person.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import { confirmConfigured } from '../../use-cases/request-actions.ts';
import { CSRF_FIELD } from './csrf.ts';
import { formValues } from './form-fields.ts';
import { statusTag } from './request-view.ts';
import { LINK_PATHS } from './signed-links.ts';
import { EXPIRED_FORM, linkAccess, type LinkPageDeps, type TokenRequest } from './link-access.ts';

const ENVIRONMENT_SHORT = { INT: 'INT', PROD: 'Prod' } as const;

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
  const { views, csrf } = deps;
  const { now, refuse, open, actionDeps } = linkAccess(app, deps);

  function confirmPage(
    reply: FastifyReply,
    request: TokenRequest,
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
}
