// The JSON API (CONTRACT.md "HTTP"): submit, read, list, confirm and cancel requests.
import type { FastifyInstance } from 'fastify';
import { submitRequest, type IntakeDeps } from '../intake.ts';
import { londonDate } from '../request/dates.ts';
import { presentRecord, REQUEST_STATUSES, type RequestStatus } from '../requests/record.ts';
import type { ListFilter, RequestStore } from '../requests/store.ts';
import { bearerGuard } from './auth.ts';
import { errorBody } from './errors.ts';

export interface ApiDeps {
  store: RequestStore;
  intake: IntakeDeps;
  apiToken?: string;
  /** Seconds each intake took, for the metrics. */
  observeIntake?: (seconds: number) => void;
}

const FILTERS: readonly string[] = ['outstanding', 'all', ...REQUEST_STATUSES];

export async function apiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.addHook('onRequest', bearerGuard(deps.apiToken));
  const today = () => londonDate(deps.intake.now());

  app.post(
    '/requests',
    { config: { rateLimit: { max: 120, timeWindow: '1 minute' } } },
    async (request, reply) => {
      if (!/^application\/(json|[\w.+-]+\+json)\b/.test(request.headers['content-type'] ?? '')) {
        return reply.code(415).send(errorBody('send the request as application/json'));
      }
      const started = performance.now();
      const result = await submitRequest(request.body, deps.intake);
      deps.observeIntake?.((performance.now() - started) / 1000);
      switch (result.outcome) {
        case 'accepted':
          request.log.info({ requestId: result.id, urgency: result.urgency.level }, 'accepted');
          return reply.code(202).send({
            id: result.id,
            status: result.status,
            urgency: result.urgency.level,
            urgencyReason: result.urgency.reason,
            careConnect: result.careConnect,
            warnings: result.warnings,
          });
        case 'invalid':
          return reply.code(400).send({ errors: result.errors });
        case 'refused':
          return reply.code(422).send({ errors: result.errors, warnings: result.warnings });
        case 'duplicate':
          return reply.code(409).send({ errors: result.errors, existingId: result.existingId });
      }
    },
  );

  app.get<{ Params: { id: string } }>('/requests/:id', async (request, reply) => {
    const record = await deps.store.get(request.params.id);
    if (!record) return reply.code(404).send(errorBody(`no request ${request.params.id}`));
    return presentRecord(record, today());
  });

  app.get<{ Querystring: { status?: string; cursor?: string; limit?: string } }>(
    '/requests',
    async (request, reply) => {
      const status = request.query.status ?? 'outstanding';
      if (!FILTERS.includes(status)) {
        return reply
          .code(400)
          .send(errorBody(`must be one of ${FILTERS.join(', ')}, got '${status}'`, 'status'));
      }
      const page = await deps.store.list(status as ListFilter, {
        limit: Number(request.query.limit ?? 50) || 50,
        cursor: request.query.cursor,
      });
      const day = today();
      const next =
        page.nextCursor === undefined
          ? undefined
          : `/api/requests?status=${status}&cursor=${page.nextCursor}`;
      return {
        items: page.items.map((record) => presentRecord(record, day)),
        total: page.total,
        ...(next ? { next, nextCursor: page.nextCursor } : {}),
      };
    },
  );

  const change = (to: RequestStatus, event: string, reason: string) =>
    async function (
      request: { params: { id: string } },
      reply: { code(n: number): { send(body: unknown): unknown } },
    ) {
      const result = await deps.store.transition(request.params.id, to, {
        event,
        reason,
        details: { by: 'hand (api)' },
      });
      if (result.ok) return presentRecord(result.record, today());
      if (result.reason === 'not-found') {
        return reply.code(404).send(errorBody(`no request ${request.params.id}`));
      }
      return reply
        .code(409)
        .send(
          errorBody(`the request is ${result.record.status}; it cannot become ${to}`, 'status'),
        );
    };
  app.post<{ Params: { id: string } }>(
    '/requests/:id/confirm',
    change('configured', 'configured', 'confirmed in the catalogue by hand'),
  );
  app.post<{ Params: { id: string } }>(
    '/requests/:id/cancel',
    change('cancelled', 'cancelled', 'cancelled by hand'),
  );
}
