// What the pages a link in the email opens share (link-pages.ts, status-pages.ts): their
// dependencies, reading the token and its request, and the page for a refused link. Open to anyone
// (route-rules.ts): the signed token in the URL is the credential; every POST carries a CSRF
// token too. A refused link gets a page saying why and changes nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isUnavailable } from '../../domain/errors.ts';
import {
  STATUS_LINK_DAYS,
  STATUS_LINK_DAYS_AFTER_CLOSE,
  statusLinkLapsed,
  type LinkAction,
  type LinkClaims,
  type LinkProblem,
} from '../../domain/links/link-token.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import type { FollowUpJobs } from '../../ports/jobs.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import type { IntakeDeps } from '../../use-cases/submit.ts';
import type { Csrf } from './csrf.ts';
import { statusTag } from './request-view.ts';
import { LINK_TOKEN_MAX_LENGTH, type SignedLinks, type UsedLinks } from './signed-links.ts';
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

export const EXPIRED_FORM =
  'The form had expired or came from another site. Nothing was changed: try again.';

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

/** Why a closed request cannot be changed, in words. */
export function notOutstanding(record: RequestRecord): string {
  return record.status === 'configured'
    ? 'This request is already configured: nothing was changed.'
    : `This request is ${statusTag(record.status).text.toLowerCase()}: nothing was changed.`;
}

export type TokenRequest = FastifyRequest<{ Params: { token: string } }>;

/**
 * Checks the router takes a token's length, and sets the plugin's page for Redis being away; then
 * `open` reads a link's token and request, and `refuse` answers a link that will not do.
 */
export function linkAccess(app: FastifyInstance, deps: LinkPageDeps) {
  // Found when the server is built, not as a 414 on the first link someone opens.
  const { routerOptions, maxParamLength } = app.initialConfig;
  const longest = routerOptions?.maxParamLength ?? maxParamLength ?? 100;
  if (longest < LINK_TOKEN_MAX_LENGTH) {
    throw new Error(
      `the link pages need Fastify's routerOptions.maxParamLength at least ${LINK_TOKEN_MAX_LENGTH} (it is ${longest}): a token is longer than its default`,
    );
  }
  const { views, store } = deps;
  const now = () => deps.intake.now().getTime();

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
    request: TokenRequest,
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

  return {
    now,
    refuse,
    open,
    /** What the actions a link may take need. */
    actionDeps: { ...deps.intake, store, followUpJobs: deps.followUpJobs },
  };
}
