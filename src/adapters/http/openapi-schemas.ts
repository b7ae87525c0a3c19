// The shapes the API answers with, as JSON Schema for the OpenAPI document (openapi.ts): the
// request from the zod schema (with the form's wording as descriptions), the enumerations from the
// code's constants. The tests hold every API answer to these (response-check.ts), so they stay true.
// Objects are left open (no additionalProperties: false): CONTRACT.md lets answers gain fields,
// and a client generated from this document should not break when one does.
import { z } from 'zod';
import { CARECONNECT_STATUSES } from '../../domain/careconnect/finding.ts';
import { ENVIRONMENTS, configurationRequestSchema } from '../../domain/request/schema.ts';
import { URGENCY_LEVELS } from '../../domain/urgency.ts';
import { REQUEST_STATUSES } from '../../domain/request/record.ts';
import { FORM_FIELDS } from './form-fields.ts';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema> };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const strings = { type: 'array', items: { type: 'string' } };
const instant = { type: 'string', format: 'date-time' };

const errorItem = {
  type: 'object',
  properties: {
    path: {
      type: 'string',
      description: 'The field, dotted (requester.email); empty for the request as a whole',
    },
    message: { type: 'string', description: 'What is wrong, in words for people' },
    code: {
      type: 'string',
      description: 'The kind of problem, for programs (the message may be reworded; this is not)',
    },
  },
  required: ['path', 'message'],
};

const errorList = {
  type: 'object',
  properties: { errors: { type: 'array', items: ref('Error') } },
  required: ['errors'],
};

/** 422 from the assessment carries the warnings too; one refused deeper in carries none. */
const refused = {
  type: 'object',
  properties: {
    errors: { type: 'array', items: ref('Error') },
    warnings: { ...strings, description: 'What would have been a warning, had it been accepted' },
  },
  required: ['errors'],
};

const duplicate = {
  type: 'object',
  properties: {
    errors: { type: 'array', items: ref('Error') },
    existingId: { type: 'string', description: 'The outstanding request for the same service' },
  },
  required: ['errors', 'existingId'],
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

/** The short reference people quote; `GET /api/requests/{reference}` finds the request too. */
const REFERENCE_SCHEMA = {
  type: 'string',
  pattern: '^ECAT-[0-9A-HJKMNP-TV-Z]{6}$',
  description: 'The short reference people quote (ECAT-7K2QX9)',
};

const accepted = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: '^req-[0-9a-f-]{36}$' },
    reference: REFERENCE_SCHEMA,
    status: { const: 'queued' },
    urgency: { enum: [...URGENCY_LEVELS] },
    urgencyReason: { type: 'string' },
    careConnect: ref('CareConnectFinding'),
    warnings: strings,
  },
  required: ['id', 'reference', 'status', 'urgency', 'urgencyReason', 'careConnect', 'warnings'],
};

const assessment = {
  type: 'object',
  properties: {
    dryRun: { const: true },
    urgency: { enum: [...URGENCY_LEVELS] },
    urgencyReason: { type: 'string' },
    careConnect: ref('CareConnectFinding'),
    warnings: strings,
  },
  required: ['dryRun', 'urgency', 'urgencyReason', 'careConnect', 'warnings'],
};

const historyEntry = {
  type: 'object',
  properties: {
    at: instant,
    status: { enum: [...REQUEST_STATUSES] },
    event: { type: 'string', description: 'queued, sent, retry, failed, chaser, overdue, …' },
    reason: { type: 'string' },
    details: {
      type: 'object',
      description: 'Facts kept with the event: SMTP code and reply, Message-ID, attempt, …',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    actor: {
      type: 'object',
      description:
        'Who did it: a signed-in person, or a part of ecat (the worker, the BaRS proxy, the command line, …). Absent in entries written before people were named.',
      properties: {
        kind: { enum: ['person', 'system'] },
        name: { type: 'string', description: 'A person’s name, or the part of ecat in words' },
        email: { type: 'string', description: 'A person’s email address' },
        subject: { type: 'string', description: 'A person’s identifier at the identity provider' },
      },
      required: ['kind', 'name'],
    },
  },
  required: ['at', 'status', 'event', 'reason'],
};

const record = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    reference: REFERENCE_SCHEMA,
    status: { enum: [...REQUEST_STATUSES] },
    request: ref('StoredRequest'),
    urgency: {
      type: 'object',
      properties: {
        level: { enum: [...URGENCY_LEVELS] },
        workingDays: {
          type: ['integer', 'null'],
          description: 'Working days to the earliest test date; null without test dates',
        },
        reason: { type: 'string' },
      },
      required: ['level', 'workingDays', 'reason'],
    },
    careConnect: ref('CareConnectFinding'),
    warnings: strings,
    messageId: {
      type: 'string',
      description: 'The Message-ID of the email to the BaRS team, the same on every retry',
    },
    earliestTestDate: { type: 'string', format: 'date' },
    overdue: { type: 'boolean' },
    createdAt: instant,
    updatedAt: instant,
    history: { type: 'array', items: ref('HistoryEntry') },
    submittedBy: {
      type: 'object',
      description:
        'The signed-in person who submitted it; absent when it came by a shared credential (API_TOKEN, the admin password, the command line)',
      properties: {
        subject: { type: 'string', description: 'Their identifier at the identity provider' },
        name: { type: 'string' },
        email: { type: 'string' },
        organisation: { type: 'string' },
      },
      required: ['subject', 'name', 'email'],
    },
  },
  required: [
    'id',
    'reference',
    'status',
    'request',
    'urgency',
    'careConnect',
    'warnings',
    'messageId',
    'overdue',
    'createdAt',
    'updatedAt',
    'history',
  ],
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

/**
 * The request as ecat keeps and shows it: what was sent, normalised (zod's output schema says
 * nothing of its transforms, so the input schema is narrowed where normalising narrows it).
 */
function storedRequestSchema(input: JsonSchema): JsonSchema {
  const properties = input.properties ?? {};
  return {
    ...input,
    description: 'The request as accepted: trimmed, the ODS code upper-case, INT or PROD',
    properties: {
      ...properties,
      dosServiceId: { ...properties.dosServiceId, type: 'string', pattern: '^[1-9][0-9]{0,9}$' },
      environment: { ...properties.environment, enum: [...ENVIRONMENTS] },
      endpoint: { ...properties.endpoint, format: 'uri' },
    },
  };
}

export function componentSchemas(): Record<string, unknown> {
  const request = requestSchema();
  return {
    ConfigurationRequest: request,
    StoredRequest: storedRequestSchema(request),
    Accepted: accepted,
    Assessment: assessment,
    Request: record,
    HistoryEntry: historyEntry,
    CareConnectFinding: careConnect,
    Error: errorItem,
    Errors: errorList,
    Refused: refused,
    Duplicate: duplicate,
  };
}
