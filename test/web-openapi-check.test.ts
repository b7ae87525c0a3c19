// The check that holds every API answer in the tests to the OpenAPI document (response-check.ts,
// turned on by test/support/web.ts): it must catch each kind of drift, and pass a true answer.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/adapters/http/openapi.ts';
import { checkApiResponses, type ResponseViolation } from '../src/adapters/http/response-check.ts';

/** A document with one operation: GET /api/things/{id} answers 200 with a Thing, or 404. */
const DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'test', version: '1' },
  components: {
    schemas: {
      Thing: {
        type: 'object',
        properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
        required: ['id'],
      },
    },
  },
  paths: {
    '/api/things/{id}': {
      get: {
        responses: {
          '200': {
            description: 'a thing',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          '404': { description: 'no thing' },
        },
      },
    },
  },
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** What the check reports when GET /api/things/1 answers `status` with `body`. */
async function violationsOf(status: number, body: unknown): Promise<string[]> {
  const found: ResponseViolation[] = [];
  app = Fastify();
  checkApiResponses(app, DOCUMENT, (violation) => found.push(violation));
  app.get('/api/things/:id', (_request, reply) =>
    body === undefined ? reply.code(status).send() : reply.code(status).send(body),
  );
  // Not the API's: not checked.
  app.get('/not-api', () => Promise.resolve({ anything: true }));
  await app.inject({ url: '/api/things/1' });
  await app.inject({ url: '/not-api' });
  return found.map((violation) => violation.problem);
}

describe('the response check', () => {
  it('passes an answer the document describes', async () => {
    expect(await violationsOf(200, { id: '1', at: '2027-03-01T09:00:00.000Z' })).toEqual([]);
    expect(await violationsOf(404, undefined)).toEqual([]);
  });

  it('reports a field the document does not name, though the document leaves objects open', async () => {
    expect(await violationsOf(200, { id: '1', messageId: '<x@y>' })).toEqual([
      '(body) must NOT have additional properties: messageId (not in the document)',
    ]);
  });

  it('reports a missing field, a wrong type and a wrong format', async () => {
    expect(await violationsOf(200, { at: 7 })).toEqual([
      "(body) must have required property 'id'",
      '/at must be string',
    ]);
    expect(await violationsOf(200, { id: '1', at: 'Tuesday' })).toEqual([
      '/at must match format "date-time"',
    ]);
  });

  it('reports a status the operation does not list, and a body where it lists none', async () => {
    expect(await violationsOf(409, { id: '1' })).toEqual([
      'status 409 is not listed for GET /api/things/{id}',
    ]);
    expect(await violationsOf(404, { errors: [] })).toEqual([
      'a body where the document lists none',
    ]);
  });

  it('reports an API route the document does not have', async () => {
    const found: ResponseViolation[] = [];
    app = Fastify();
    checkApiResponses(app, DOCUMENT, (violation) => found.push(violation));
    app.get('/api/undocumented', () => Promise.resolve({}));
    await app.inject({ url: '/api/undocumented' });
    await app.inject({ url: '/api/no-route-at-all' });
    expect(found).toEqual([
      {
        method: 'GET',
        url: '/api/undocumented',
        status: 200,
        problem: 'GET /api/undocumented is not in the document',
      },
    ]);
  });

  it('reads our own document, each schema compiled when the server is built', () => {
    app = Fastify();
    expect(() => {
      checkApiResponses(app!, openApiDocument(), () => undefined);
    }).not.toThrow();
    const broken = { ...DOCUMENT, components: { schemas: { Thing: { type: 'thing' } } } };
    expect(() => {
      checkApiResponses(Fastify(), broken, () => undefined);
    }).toThrow();
  });
});
