// The OpenAPI description, generated from the zod schema rather than written by hand.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { configurationRequestSchema } from '../request/schema.ts';

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

export function openApiDocument(): Record<string, unknown> {
  const request = z.toJSONSchema(configurationRequestSchema, {
    io: 'input',
    unrepresentable: 'any',
  });
  const response = (description: string, schema: unknown = errorList) => ({
    description,
    content: { 'application/json': { schema } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'ecat: BaRS Endpoint Catalogue configuration requests',
      version: '0.1.0',
    },
    components: {
      schemas: { ConfigurationRequest: request, Errors: errorList },
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
            '202': response('Accepted and queued: {id, status, urgency, warnings}', {
              type: 'object',
            }),
            '400': response('Malformed, or failing the field rules'),
            '401': response('Missing or wrong Bearer token'),
            '409': response('An outstanding request for the same service and environment exists'),
            '413': response('Body over 64 KiB'),
            '415': response('Not JSON'),
            '422': response(
              'Well-formed but refused (CareConnect, past test date, PROD without TCC)',
            ),
            '503': response('Redis unreachable; nothing was stored'),
          },
        },
        get: {
          summary: 'List requests',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', default: 'outstanding' } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': response('{items, total, next?}', { type: 'object' }) },
        },
      },
      '/api/requests/{id}': {
        get: {
          summary: 'A request with its history',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': response('The request', { type: 'object' }),
            '404': response('Unknown id'),
          },
        },
      },
      '/api/requests/{id}/confirm': {
        post: {
          summary: 'Mark configured by hand',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': response('New state', { type: 'object' }),
            '409': response('Not allowed'),
          },
        },
      },
      '/api/requests/{id}/cancel': {
        post: {
          summary: 'Cancel',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': response('New state', { type: 'object' }),
            '409': response('Not allowed'),
          },
        },
      },
    },
  };
}

export async function openApiRoute(app: FastifyInstance): Promise<void> {
  const document = openApiDocument();
  app.get('/api/openapi.json', async () => document);
}
