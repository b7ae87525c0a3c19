// The JSON API (CONTRACT.md "HTTP"): submit, read, list, confirm and cancel requests.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { changeStatusByHand } from '../../use-cases/change-status.ts';
import { assessRequest } from '../../use-cases/assess.ts';
import { submitRequest, type AcceptedResult, type IntakeDeps } from '../../use-cases/submit.ts';
import { idempotencyKeyOf, keptAnswer, replayOf } from './idempotency.ts';
import { londonDate } from '../../domain/dates.ts';
import {
  presentRecord,
  type RequestRecord,
  REQUEST_STATUSES,
  type RequestStatus,
} from '../../domain/request/record.ts';
import { errorBody } from './errors.ts';
import { referenceFor } from '../../domain/request/reference.ts';
import { findRequest } from '../../use-cases/find-request.ts';
import { apiStateChangeGuard, emptyTolerantJson } from './security.ts';
import type { FollowUpJobs } from '../../ports/jobs.ts';
import type { ListFilter, RequestPage, RequestStore } from '../../ports/request-store.ts';
import { canSee, seesEveryRequest, type Principal } from './principal.ts';

export interface ApiDeps {
  store: RequestStore;
  intake: IntakeDeps;
  followUpJobs: FollowUpJobs;
  /** Seconds each intake took, for the metrics. */
  observeIntake?: (seconds: number) => void;
  /** Submissions per minute from one address. */
  submitRateLimit?: number;
}

export const LIST_FILTERS: readonly ListFilter[] = ['outstanding', 'all', ...REQUEST_STATUSES];
const DEFAULT_PAGE = 50;

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** The 202's body for an accepted request (kept as it is for an Idempotency-Key's retry). */
function acceptedBody(result: AcceptedResult): Record<string, unknown> {
  return {
    id: result.id,
    reference: referenceFor(result.id),
    status: result.status,
    urgency: result.urgency.level,
    urgencyReason: result.urgency.reason,
    careConnect: result.careConnect,
    warnings: result.warnings,
  };
}

/** A record as the API answers it: overdue as of today, and its short reference. */
function shown(record: RequestRecord, today: string) {
  return { ...presentRecord(record, today), reference: referenceFor(record.id) };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function apiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // Credentials are checked before this, for every route (access.ts): a caller without them
  // learns nothing, not even 413 or 415.
  app.addHook('onRequest', apiStateChangeGuard);
  app.removeContentTypeParser('application/json');
  emptyTolerantJson(app);
  const today = () => londonDate(deps.intake.now());

  /** A requester's own requests, paged as the store pages everyone's (the cursor an offset). */
  async function ownPage(
    principal: Principal,
    filter: ListFilter,
    limit: number,
    cursor: string | undefined,
  ): Promise<RequestPage> {
    const own = (await deps.store.readAll(filter)).filter((record) => canSee(principal, record));
    const offset = Number(cursor ?? '0');
    const next = offset + limit;
    return {
      items: own.slice(offset, next),
      total: own.length,
      ...(next < own.length ? { nextCursor: String(next) } : {}),
    };
  }

  app.post(
    '/requests',
    { config: { rateLimit: { max: deps.submitRateLimit ?? 120, timeWindow: '1 minute' } } },
    async (request: FastifyRequest<{ Querystring: { dryRun?: string } }>, reply) => {
      // A dry run: the assessment the check page shows, nothing stored or queued.
      if (request.query.dryRun === 'true') {
        const assessment = await assessRequest(request.body, deps.intake);
        switch (assessment.outcome) {
          case 'accepted':
            return reply.code(200).send({
              dryRun: true,
              urgency: assessment.urgency.level,
              urgencyReason: assessment.urgency.reason,
              careConnect: assessment.careConnect,
              warnings: assessment.warnings,
            });
          case 'invalid':
            return reply.code(400).send({ errors: assessment.errors });
          case 'refused':
            return reply
              .code(422)
              .send({ errors: assessment.errors, warnings: assessment.warnings });
        }
      }
      const idempotency = idempotencyKeyOf(request);
      if (idempotency.kind === 'bad') return reply.code(400).send({ errors: idempotency.errors });
      /** What is kept under the caller's key: the first answer, or the key's other request. */
      const keptUnderKey = async () =>
        idempotency.kind === 'key'
          ? replayOf(await deps.store.recall(idempotency.name), idempotency.fingerprint)
          : undefined;
      const sendKept = (kept: NonNullable<Awaited<ReturnType<typeof keptUnderKey>>>) =>
        'reused' in kept
          ? reply.code(422).send({ errors: kept.reused, warnings: [] })
          : reply
              .code(202)
              .header('location', `/api/requests/${String(kept.replay.id)}`)
              .header('idempotent-replayed', 'true')
              .send(kept.replay);
      const kept = await keptUnderKey();
      if (kept) return sendKept(kept);

      const started = performance.now();
      const { actor, person } = request.principal;
      const result = await submitRequest(
        request.body,
        { ...deps.intake, channel: 'api' },
        { actor, ...(person ? { submittedBy: person } : {}) },
        idempotency.kind === 'key'
          ? {
              name: idempotency.name,
              value: (accepted) => keptAnswer(idempotency.fingerprint, acceptedBody(accepted)),
            }
          : undefined,
      );
      deps.observeIntake?.((performance.now() - started) / 1000);
      switch (result.outcome) {
        case 'accepted':
          request.log.info({ requestId: result.id, urgency: result.urgency.level }, 'accepted');
          return reply
            .code(202)
            .header('location', `/api/requests/${result.id}`)
            .send(acceptedBody(result));
        case 'invalid':
          return reply.code(400).send({ errors: result.errors });
        case 'refused':
          return reply.code(422).send({ errors: result.errors, warnings: result.warnings });
        case 'duplicate': {
          // A retry that raced its own first try (same key) gets the first one's answer.
          const raced = await keptUnderKey();
          if (raced) return sendKept(raced);
          return reply.code(409).send({ errors: result.errors, existingId: result.existingId });
        }
      }
    },
  );

  // By id, or by the short reference people quote (ECAT-7K2QX9, typed in any case).
  app.get('/requests/:id', async (request: IdRequest, reply) => {
    const record = await findRequest(deps.store, request.params.id);
    if (!record) return reply.code(404).send(errorBody(`no request ${request.params.id}`));
    if (!canSee(request.principal, record)) {
      return reply.code(403).send(errorBody(`request ${request.params.id} is not one of yours`));
    }
    return shown(record, today());
  });

  app.get<{ Querystring: { status?: string; cursor?: string; limit?: string } }>(
    '/requests',
    async (request, reply) => {
      const { status = 'outstanding', cursor, limit = String(DEFAULT_PAGE) } = request.query;
      if (!LIST_FILTERS.includes(status as ListFilter)) {
        const message = `must be one of ${LIST_FILTERS.join(', ')}, got '${status}'`;
        return reply.code(400).send(errorBody(message, 'status'));
      }
      if (!/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 500) {
        return reply.code(400).send(errorBody('must be a whole number from 1 to 500', 'limit'));
      }
      if (cursor !== undefined && !/^\d{1,9}$/.test(cursor)) {
        return reply
          .code(400)
          .send(errorBody('must be the nextCursor of a previous page', 'cursor'));
      }
      const page = seesEveryRequest(request.principal)
        ? await deps.store.list(status as ListFilter, { limit: Number(limit), cursor })
        : await ownPage(request.principal, status as ListFilter, Number(limit), cursor);
      const day = today();
      const next =
        page.nextCursor === undefined
          ? undefined
          : `/api/requests?status=${status}&limit=${limit}&cursor=${page.nextCursor}`;
      return {
        items: page.items.map((record) => shown(record, day)),
        total: page.total,
        ...(next ? { nextCursor: page.nextCursor, next } : {}),
      };
    },
  );

  const change =
    (to: RequestStatus, reason: string) => async (request: IdRequest, reply: FastifyReply) => {
      const result = await changeStatusByHand(
        { store: deps.store, followUpJobs: deps.followUpJobs },
        {
          id: request.params.id,
          to,
          event: to,
          reason,
          by: 'hand (api)',
          actor: request.principal.actor,
        },
      );
      if (result.ok) {
        request.log.info({ requestId: request.params.id, status: to }, 'changed by hand');
        return shown(result.record, today());
      }
      if (result.reason === 'not-found') {
        return reply.code(404).send(errorBody(`no request ${request.params.id}`));
      }
      const message = `the request is ${result.record.status}; it cannot become ${to}`;
      return reply.code(409).send(errorBody(message, 'status'));
    };
  app.post('/requests/:id/confirm', change('configured', 'confirmed in the catalogue by hand'));
  app.post('/requests/:id/cancel', change('cancelled', 'cancelled by hand'));
}
