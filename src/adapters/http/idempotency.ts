// Idempotency-Key on POST /api/requests (the IETF httpapi draft's header): a client that timed out
// sends the same request again with the same key and gets the first answer, not a second request
// (nor a 409 for its own first one). The answer is kept with the record, written in the same step
// (NewRequest.remember), for a day; keys are the caller's own, so no one replays another's answer.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FieldError } from '../../domain/request/schema.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Visible ASCII, as the draft's examples (a UUID is typical), up to 255 characters. */
const KEY = /^[\x21-\x7e]{1,255}$/;

export type IdempotencyKey =
  | { kind: 'none' }
  | { kind: 'bad'; errors: FieldError[] }
  | { kind: 'key'; name: string; fingerprint: string };

/** What is kept under the key: the request's fingerprint and the 202's body. */
interface Kept {
  fingerprint: string;
  body: Record<string, unknown>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with its object keys sorted: the same request, however a client orders its fields. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

export function idempotencyKeyOf(request: FastifyRequest): IdempotencyKey {
  const header = request.headers[IDEMPOTENCY_HEADER.toLowerCase()];
  if (header === undefined) return { kind: 'none' };
  const key = Array.isArray(header) ? undefined : header;
  if (key === undefined || !KEY.test(key)) {
    return {
      kind: 'bad',
      errors: [
        {
          path: IDEMPOTENCY_HEADER,
          message: `${IDEMPOTENCY_HEADER} must be one value of 1 to 255 visible characters, such as a UUID`,
        },
      ],
    };
  }
  const { actor } = request.principal;
  const caller = actor.kind === 'person' ? `person:${actor.subject}` : `system:${actor.name}`;
  return {
    kind: 'key',
    name: sha256(`${caller}\n${key}`),
    fingerprint: sha256(canonical(request.body)),
  };
}

export function keptAnswer(fingerprint: string, body: Record<string, unknown>): string {
  return JSON.stringify({ fingerprint, body } satisfies Kept);
}

/**
 * The first answer to send again, or the refusal of a key used for another request (422, as the
 * draft says), or undefined when nothing is kept under the key.
 */
export function replayOf(
  kept: string | undefined,
  fingerprint: string,
): { replay: Record<string, unknown> } | { reused: FieldError[] } | undefined {
  if (kept === undefined) return undefined;
  const answer = JSON.parse(kept) as Kept;
  if (answer.fingerprint === fingerprint) return { replay: answer.body };
  return {
    reused: [
      {
        path: IDEMPOTENCY_HEADER,
        message: `This ${IDEMPOTENCY_HEADER} was sent with a different request: use a new key for a new request`,
      },
    ],
  };
}
