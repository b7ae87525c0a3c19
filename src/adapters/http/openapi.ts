// The OpenAPI description of the JSON API, generated rather than written by hand: the shapes come
// from openapi-schemas.ts (the request from the zod schema), the list filters from the API itself.
// Every status an operation can answer is listed, so the tests can hold each answer to it.
import type { FastifyInstance } from 'fastify';
import { LIST_FILTERS } from './api.ts';
import { componentSchemas } from './openapi-schemas.ts';
import { PACKAGE_VERSION } from '../package-files.ts';

export const OPENAPI_PATH = '/api/openapi.json';

const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const json = (description: string, body: unknown = schema('Errors')) => ({
  description,
  content: { 'application/json': { schema: body } },
});

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** What any operation may answer, whatever it does. */
const common = {
  '401': json(
    'Missing or wrong Bearer token (API_TOKEN or a personal token); or the API is closed because only ADMIN_PASSWORD is set',
  ),
  '403': json(
    "A personal token whose owner lacks the role this call needs, or a requester's token reading another's request; or, without credentials, a Host that is not a loopback name",
  ),
  '500': json('A fault on our side; it has been logged'),
  '503': json(
    'Redis unreachable (nothing was stored), or a request taken but not yet confirmed on a replica (send it again with the same Idempotency-Key)',
  ),
};

/** What a call that changes something may answer besides (CONTRACT.md: JSON only, same site). */
const stateChanging = {
  '400': json('The body is not valid JSON'),
  '403': json(
    "Sent from another site's page (Sec-Fetch-Site); a personal token without the role this call needs; or, without credentials, a Host that is not a loopback name",
  ),
  '413': json('Body over 64 KiB'),
  '415': json('Without Content-Type: application/json'),
};

function change(summary: string) {
  return {
    summary,
    parameters: [idParameter],
    responses: {
      ...common,
      ...stateChanging,
      '200': json('The request in its new state', schema('Request')),
      '404': json('No request with this id'),
      '409': json('The change is not allowed from the current status'),
      '415': json('Without Content-Type: application/json (a body of {} or none)'),
    },
  };
}

const submit = {
  summary: 'Submit a configuration request',
  parameters: [
    {
      name: 'dryRun',
      in: 'query',
      required: false,
      description:
        'true: assess the request (field rules, domain rules, CareConnect, urgency, warnings) and answer 200, storing and queuing nothing. A dry run does not look for an open request for the same service.',
      schema: { enum: ['true', 'false'] },
    },
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Any unique value (a UUID): sent again with the same request, it answers the first 202 again (with Idempotent-Replayed: true) rather than a second request or a 409. Kept for 24 hours, for the caller who sent it.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    },
  ],
  requestBody: {
    required: true,
    content: { 'application/json': { schema: schema('ConfigurationRequest') } },
  },
  responses: {
    ...common,
    ...stateChanging,
    '200': json('A dry run (`?dryRun=true`): what the request would become', schema('Assessment')),
    '202': json(
      'Accepted and queued (or the same answer again, for a repeated Idempotency-Key)',
      schema('Accepted'),
    ),
    '400': json('Malformed, or failing the field rules, or a malformed Idempotency-Key'),
    '409': json(
      'An outstanding request for the same service and environment exists',
      schema('Duplicate'),
    ),
    '422': json(
      'Well-formed but refused (CareConnect, a test date past or more than 24 months ahead, PROD without TCC), or an Idempotency-Key already used for a different request',
      schema('Refused'),
    ),
    '429': json('Too many submissions; try again shortly'),
  },
};

const list = {
  summary: 'List requests, a page at a time (oldest first)',
  parameters: [
    { name: 'status', in: 'query', schema: { enum: [...LIST_FILTERS], default: 'outstanding' } },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
    { name: 'cursor', in: 'query', schema: { type: 'string' } },
  ],
  responses: {
    ...common,
    '200': json('A page: items, total, and next (a URL) while there are more', {
      type: 'object',
      properties: {
        items: { type: 'array', items: schema('Request') },
        total: { type: 'integer' },
        nextCursor: { type: 'string' },
        next: { type: 'string' },
      },
      required: ['items', 'total'],
    }),
    '400': json('Unknown status, or a bad limit or cursor'),
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ecat: BaRS Endpoint Catalogue configuration requests',
      version: PACKAGE_VERSION,
      description:
        "Every call takes `Authorization: Bearer <token>`: the service's `API_TOKEN` (every role), or a personal token made at /account/tokens, acting with its owner's roles (a requester submits and reads only their own requests; confirm and cancel are for the BaRS team). None in local mode, on loopback. The session cookie never opens the API. Calls that change something also take `Content-Type: application/json`, with a body of {} or none for confirm and cancel.",
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/requests': { post: submit, get: list },
      '/api/requests/{id}': {
        get: {
          summary: 'A request with its history',
          parameters: [idParameter],
          responses: {
            ...common,
            '200': json('The request', schema('Request')),
            '404': json('No request with this id'),
          },
        },
      },
      '/api/requests/{id}/confirm': { post: change('Mark configured (done in the catalogue)') },
      '/api/requests/{id}/cancel': { post: change('Cancel') },
      [OPENAPI_PATH]: {
        get: {
          summary: 'This document (also at /docs/openapi.json for the pages, /docs to browse it)',
          responses: { ...common, '200': json('OpenAPI 3.1', { type: 'object' }) },
        },
      },
    },
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function openApiRoute(app: FastifyInstance): Promise<void> {
  const document = openApiDocument();
  // Outside the API plugin (it takes no JSON body); behind the API's credential like all of /api.
  app.get(OPENAPI_PATH, () => Promise.resolve(document));
}
