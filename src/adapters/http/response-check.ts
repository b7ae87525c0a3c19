// Holds every /api/* answer to the OpenAPI document, for the tests (buildServer's
// `validateResponses`): a status the operation does not list, a body its schema does not describe,
// or a field the document does not name is reported, so the document cannot drift from the API.
// Loaded only when asked for: production pays nothing, and ajv is a development dependency.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ResponseViolation {
  method: string;
  url: string;
  status: number;
  problem: string;
}

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

// ajv-formats is CommonJS: under ESM its function is the default export's default.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const COMPONENT = '#/components/schemas/';
const BASE = 'openapi.json';

/**
 * A schema of the document as the check reads it: every object that names its properties is
 * closed (`additionalProperties: false`), so a field the API adds without documenting it is
 * caught, while the published document stays open for clients (openapi-schemas.ts). Objects
 * combined with allOf would need unevaluatedProperties instead; the document has none. References
 * to the components point at their copy under BASE.
 */
function prepared(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(prepared);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Schema = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, prepared(value)]),
  );
  if (typeof copy.$ref === 'string' && copy.$ref.startsWith(COMPONENT)) {
    copy.$ref = `${BASE}#/$defs/${copy.$ref.slice(COMPONENT.length)}`;
  }
  if (copy.properties !== undefined && !('additionalProperties' in copy)) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** `/api/requests/:id` as the document writes it: `/api/requests/{id}`. */
const documentPath = (route: string) => route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

class DocumentCheck {
  private readonly ajv: Ajv2020;
  /** By the schema's text: most operations share a few schemas (Errors above all). */
  private readonly validators = new Map<string, ValidateFunction>();

  private readonly document: Schema;
  constructor(document: Schema) {
    this.document = document;
    this.ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: true });
    addFormats(this.ajv);
    const { schemas } = document.components as { schemas: Schema };
    this.ajv.addSchema({ $id: BASE, $defs: prepared(schemas) });
    // Every response schema compiled now: a document ajv cannot read fails buildServer, not an answer.
    for (const path of Object.values(this.paths())) {
      for (const operation of Object.values(path ?? {})) {
        for (const response of Object.values(operation.responses ?? {})) {
          const schema = response.content?.['application/json']?.schema;
          if (schema) this.validator(schema);
        }
      }
    }
  }

  private paths() {
    return this.document.paths as Record<string, Record<string, Operation> | undefined>;
  }

  private validator(schema: Schema): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(prepared(schema) as Schema);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** What is wrong with one answer, or nothing. */
  problems(route: string, method: string, status: number, type: string, body: string): string[] {
    const operation = this.paths()[documentPath(route)]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${documentPath(route)} is not in the document`];
    const response = operation.responses?.[String(status)];
    if (!response) return [`status ${status} is not listed for ${method} ${documentPath(route)}`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return body === '' ? [] : ['a body where the document lists none'];
    if (!type.startsWith('application/json')) return [`content-type ${type}, not JSON`];
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return ['a body that is not JSON'];
    }
    const validate = this.validator(schema);
    if (validate(parsed)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath || '(body)'} ${error.message ?? 'is wrong'}${
          error.keyword === 'additionalProperties'
            ? `: ${String(error.params.additionalProperty)} (not in the document)`
            : ''
        }`,
    );
  }
}

// One compiled check per document (by its text): the tests build many servers from the same one.
const checks = new Map<string, DocumentCheck>();

/** Reports each /api/* answer the document does not describe. */
export function checkApiResponses(
  app: FastifyInstance,
  document: Schema,
  report: (violation: ResponseViolation) => void,
): void {
  const key = JSON.stringify(document);
  let check = checks.get(key);
  if (!check) {
    check = new DocumentCheck(document);
    checks.set(key, check);
  }
  const documentCheck = check;
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const route = request.routeOptions.url;
    // A path no route matched (the 404 handler) has no operation to be held to; HEAD has no body.
    if (route === undefined || !route.startsWith('/api/') || request.method === 'HEAD') {
      return payload;
    }
    const status = reply.statusCode;
    const type = String(reply.getHeader('content-type') ?? '');
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.isBuffer(payload)
          ? payload.toString('utf8')
          : payload == null
            ? ''
            : undefined;
    const problems =
      body === undefined
        ? ['a streamed body, which the check cannot read']
        : documentCheck.problems(route, request.method, status, type, body);
    for (const problem of problems) {
      report({ method: request.method, url: request.url, status, problem });
    }
    return payload;
  });
}
