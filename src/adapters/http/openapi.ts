// The OpenAPI description, generated rather than written by hand: the request body from the zod
// schema (with the form's wording as descriptions), the enumerations from the code's constants.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CARECONNECT_STATUSES } from '../../domain/careconnect/finding.ts';
import { configurationRequestSchema } from '../../domain/request/schema.ts';
import { URGENCY_LEVELS } from '../../domain/urgency.ts';
import { REQUEST_STATUSES } from '../../domain/request/record.ts';
import { LIST_FILTERS } from './api.ts';
import { FORM_FIELDS } from './form-fields.ts';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema> };

const errorList = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' } },
        required: ['path', 'message'],
      },
    },
  },
  required: ['errors'],
};

const careConnect = {
  type: 'object',
  properties: {
    status: { enum: [...CARECONNECT_STATUSES] },
    address: { type: 'string', description: 'The ASID: or ODS: address found in DoS' },
    detail: { type: 'string' },
    final: {
      const: true,
      description:
        'Only on unverified: the directory cannot answer for this request (e.g. an ODS code DoS Search does not take), so it is not checked again',
    },
  },
  required: ['status', 'detail'],
};

const accepted = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^req-[0-9a-f-]{36}$' },
    status: { const: 'queued' },
    urgency: { enum: [...URGENCY_LEVELS] },
    urgencyReason: { type: 'string' },
    careConnect: { $ref: '#/components/schemas/CareConnectFinding' },
    warnings: { type: 'array', items: { type: 'string' } },
  },
  required: ['id', 'status', 'urgency', 'warnings'],
};

const record = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { enum: [...REQUEST_STATUSES] },
    request: { $ref: '#/components/schemas/ConfigurationRequest' },
    urgency: {
      type: 'object',
      properties: {
        level: { enum: [...URGENCY_LEVELS] },
        workingDays: { type: ['integer', 'null'] },
        reason: { type: 'string' },
      },
    },
    careConnect: { $ref: '#/components/schemas/CareConnectFinding' },
    warnings: { type: 'array', items: { type: 'string' } },
    earliestTestDate: { type: 'string', format: 'date' },
    overdue: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    history: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          at: { type: 'string', format: 'date-time' },
          status: { enum: [...REQUEST_STATUSES] },
          event: { type: 'string' },
          reason: { type: 'string' },
          details: { type: 'object' },
        },
        required: ['at', 'status', 'event', 'reason'],
      },
    },
  },
  required: ['id', 'status', 'request', 'urgency', 'careConnect', 'history'],
};

/** The zod schema as JSON Schema, each field described in the words the form uses. */
function requestSchema(): JsonSchema {
  const schema = z.toJSONSchema(configurationRequestSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  delete schema.$schema;
  for (const field of FORM_FIELDS) {
    const top = schema.properties?.[field.path];
    if (!top) continue;
    top.description = [field.label.replace(' (optional)', ''), field.hint]
      .filter(Boolean)
      .join(': ');
    for (const child of field.children ?? []) {
      const nested = top.properties?.[child.path.slice(field.path.length + 1)];
      if (!nested) continue;
      nested.description = child.label.replace(' (optional)', '');
      if (child.control === 'date') nested.format = 'date';
    }
  }
  return schema;
}

const json = (description: string, schema: unknown = { $ref: '#/components/schemas/Errors' }) => ({
  description,
  content: { 'application/json': { schema } },
});

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const common = {
  '401': json(
    'Missing or wrong Bearer token (API_TOKEN); or the API is closed because only ADMIN_PASSWORD is set',
  ),
  '503': json('Redis unreachable; nothing was stored'),
};

export function openApiDocument(): Record<string, unknown> {
  const change = (summary: string) => ({
    summary,
    parameters: [idParameter],
    responses: {
      '200': json('The request in its new state', { $ref: '#/components/schemas/Request' }),
      '404': json('No request with this id'),
      '403': json("Sent from another site's page"),
      '409': json('The change is not allowed from the current status'),
      '415': json('Without Content-Type: application/json (a body of {} or none)'),
      ...common,
    },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'ecat: BaRS Endpoint Catalogue configuration requests', version: '0.1.0' },
    components: {
      schemas: {
        ConfigurationRequest: requestSchema(),
        Accepted: accepted,
        Request: record,
        CareConnectFinding: careConnect,
        Errors: errorList,
      },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/requests': {
        post: {
          summary: 'Submit a configuration request',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/ConfigurationRequest' } },
            },
          },
          responses: {
            '202': json('Accepted and queued', { $ref: '#/components/schemas/Accepted' }),
            '400': json('Malformed, or failing the field rules'),
            '409': json('An outstanding request for the same service and environment exists', {
              allOf: [
                { $ref: '#/components/schemas/Errors' },
                { type: 'object', properties: { existingId: { type: 'string' } } },
              ],
            }),
            '413': json('Body over 64 KiB'),
            '415': json('Not application/json'),
            '422': json(
              'Well-formed but refused (CareConnect, a test date past or more than 24 months ahead, PROD without TCC)',
            ),
            '429': json('Too many submissions; try again shortly'),
            ...common,
          },
        },
        get: {
          summary: 'List requests, a page at a time (oldest first)',
          parameters: [
            {
              name: 'status',
              in: 'query',
              schema: { enum: [...LIST_FILTERS], default: 'outstanding' },
            },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': json('A page: items, total, and next (a URL) while there are more', {
              type: 'object',
              properties: {
                items: { type: 'array', items: { $ref: '#/components/schemas/Request' } },
                total: { type: 'integer' },
                nextCursor: { type: 'string' },
                next: { type: 'string' },
              },
              required: ['items', 'total'],
            }),
            '400': json('Unknown status, or a bad limit or cursor'),
            ...common,
          },
        },
      },
      '/api/requests/{id}': {
        get: {
          summary: 'A request with its history',
          parameters: [idParameter],
          responses: {
            '200': json('The request', { $ref: '#/components/schemas/Request' }),
            '404': json('No request with this id'),
            ...common,
          },
        },
      },
      '/api/requests/{id}/confirm': { post: change('Mark configured (done in the catalogue)') },
      '/api/requests/{id}/cancel': { post: change('Cancel') },
    },
  };
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function openApiRoute(app: FastifyInstance): Promise<void> {
  const document = openApiDocument();
  // Outside the API plugin (it takes no JSON body); behind the API's credential like all of /api.
  app.get('/api/openapi.json', () => Promise.resolve(document));
}
