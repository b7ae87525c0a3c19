// The HTML pages for DoS leads, behind the admin credentials: the request form (server-rendered
// NHS.UK frontend, no JavaScript needed) and, registered from here, the outstanding requests.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isUnavailable } from '../../domain/errors.ts';
import { submitRequest, type IntakeDeps } from '../../use-cases/submit.ts';
import type { FieldError } from '../../domain/request/schema.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import {
  FORM_FIELDS,
  formErrors,
  formValues,
  requestFromForm,
  type FormValues,
} from './form-fields.ts';
import { outstandingRoutes } from './outstanding.ts';
import type { Views } from './views.ts';
import type { RequestStore } from '../../ports/request-store.ts';

export interface PageDeps {
  store: RequestStore;
  intake: IntakeDeps;
  csrf: Csrf;
  views: Views;
  observeIntake?: (seconds: number) => void;
  /** Posts of the form per minute from one address. */
  formRateLimit?: number;
}

const STATUS_BY_OUTCOME = { invalid: 400, refused: 422, duplicate: 409 } as const;

export async function pageRoutes(app: FastifyInstance, deps: PageDeps): Promise<void> {
  const now = () => deps.intake.now().getTime();
  // A person reading a page gets a page when Redis is away; every other fault goes to the root.
  app.setErrorHandler((error, _request, reply) => {
    if (!isUnavailable(error)) throw error;
    reply.header('retry-after', '30');
    return deps.views.send(
      reply,
      'message.njk',
      {
        title: 'Service unavailable',
        heading: 'Sorry, there is a problem with the service',
        message: 'The requests cannot be read at the moment. Try again in a few minutes.',
      },
      503,
    );
  });

  function formPage(
    reply: FastifyReply,
    values: FormValues,
    errors: readonly FieldError[] = [],
    status = 200,
  ) {
    const { byName, summary } = formErrors(errors);
    return deps.views.send(
      reply,
      'form.njk',
      {
        title: errors.length > 0 ? 'Error: New request' : 'New request',
        nav: 'form',
        fields: FORM_FIELDS,
        values,
        errors: byName,
        errorList: summary,
        csrfField: CSRF_FIELD,
        csrf: deps.csrf.issue(now()),
      },
      status,
    );
  }

  app.get('/', async (_request, reply) => formPage(reply, {}));

  app.post(
    '/',
    { config: { rateLimit: { max: deps.formRateLimit ?? 60, timeWindow: '1 minute' } } },
    async (request, reply) => {
      const values = formValues(request.body);
      if (!deps.csrf.verify(request, values[CSRF_FIELD], now())) {
        request.log.warn('form refused: missing, expired or cross-site CSRF token');
        const message =
          'The form had expired or came from another site. Check your answers and send it again.';
        return formPage(reply, values, [{ path: '', message }], 403);
      }
      const started = performance.now();
      let result: Awaited<ReturnType<typeof submitRequest>>;
      try {
        result = await submitRequest(requestFromForm(values), { ...deps.intake, channel: 'form' });
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        request.log.warn({ err: error.message }, 'Redis unreachable');
        const message =
          'The service cannot store requests at the moment. Nothing was sent; your answers are below. Try again in a few minutes.';
        return formPage(reply, values, [{ path: '', message }], 503);
      }
      deps.observeIntake?.((performance.now() - started) / 1000);
      if (result.outcome === 'accepted') {
        request.log.info({ requestId: result.id, urgency: result.urgency.level }, 'accepted');
        return deps.views.send(reply, 'confirmation.njk', {
          title: 'Request accepted',
          nav: 'form',
          ...result,
          dosServiceId: values.dosServiceId?.trim(),
          environment: values.environment,
          email: values['requester.email']?.trim(),
        });
      }
      return formPage(reply, values, result.errors, STATUS_BY_OUTCOME[result.outcome]);
    },
  );

  await app.register(outstandingRoutes, { store: deps.store, views: deps.views, now });
}
