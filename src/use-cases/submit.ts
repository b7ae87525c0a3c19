// Intake: the one path every entrance (CLI, HTTP API, form, CSV import) uses to accept a request:
// assess → duplicate check → record + enqueue, written together so a request is either fully
// accepted or not there at all.
import { randomUUID } from 'node:crypto';
import { assessRequest, type AssessDeps, type Assessment } from './assess.ts';
import type { CareConnectFinding } from '../domain/careconnect/finding.ts';
import { messageIdFor } from '../domain/email/message.ts';
import { ACTORS, type Actor, type Person } from '../domain/people/person.ts';
import { referenceFor } from '../domain/request/reference.ts';
import { chaserPlan, type ChaserSettings } from '../domain/follow-up-schedule.ts';
import type { NewRequest, RequestStore } from '../ports/request-store.ts';
import type { RequestRecord } from '../domain/request/record.ts';
import {
  fieldError,
  type ConfigurationRequest,
  type FieldError,
} from '../domain/request/schema.ts';
import type { Urgency } from '../domain/urgency.ts';

export type IntakeResult =
  | {
      outcome: 'accepted';
      id: string;
      status: 'queued';
      urgency: Urgency;
      careConnect: CareConnectFinding;
      warnings: string[];
    }
  | Extract<Assessment, { outcome: 'invalid' }>
  | Extract<Assessment, { outcome: 'refused' }>
  /** An outstanding request for the same dosServiceId and environment exists (HTTP 409). */
  | { outcome: 'duplicate'; existingId: string; errors: FieldError[] };

export interface IntakeDeps extends AssessDeps {
  store: RequestStore;
  mailFrom: string;
  /** Who or what accepted it, for the history ("cli", "api", "form", "import"). */
  channel?: string;
  /** When set, a request with test dates gets its chaser planned, accepted with the record. */
  chaser?: ChaserSettings;
}

export type AcceptedAssessment = Extract<Assessment, { outcome: 'accepted' }>;

/** Who submits a request: named in its first history entry; a signed-in person is kept with it. */
export interface Submitter {
  actor: Actor;
  /** The signed-in person, who may then see and change the request as its submitter. */
  submittedBy?: Person;
}

/** The command line is the one entrance with nobody signed in to name. */
const COMMAND_LINE: Submitter = { actor: ACTORS.cli };

/** The record a freshly accepted request starts as: queued, with its Message-ID fixed. */
export function newRequestRecord(
  assessment: AcceptedAssessment,
  deps: Pick<IntakeDeps, 'now' | 'mailFrom' | 'channel'>,
  submitter: Submitter,
): RequestRecord {
  const { request, urgency, careConnect, warnings } = assessment;
  const id = `req-${randomUUID()}`;
  const at = deps.now().toISOString();
  return {
    id,
    request,
    urgency,
    careConnect,
    warnings,
    status: 'queued',
    messageId: messageIdFor(id, deps.mailFrom),
    createdAt: at,
    updatedAt: at,
    ...(request.testDates ? { earliestTestDate: request.testDates.from } : {}),
    overdue: false,
    history: [
      {
        at,
        status: 'queued',
        event: 'queued',
        reason: `accepted${deps.channel ? ` through ${deps.channel}` : ''}: urgency ${urgency.level} (${urgency.reason}); CareConnect ${careConnect.status}`,
        actor: submitter.actor,
      },
    ],
    ...(submitter.submittedBy ? { submittedBy: submitter.submittedBy } : {}),
  };
}

/** A new record with its chaser planned (when chasers are on and the request has test dates). */
export function withChaserPlan(
  record: RequestRecord,
  deps: Pick<IntakeDeps, 'calendar' | 'chaser'>,
): NewRequest {
  const chaser = deps.chaser ? chaserPlan(record, deps.calendar, deps.chaser) : undefined;
  return chaser ? { record, chaser } : { record };
}

export function duplicateOf(
  request: Pick<ConfigurationRequest, 'dosServiceId' | 'environment'>,
  existingId: string,
): Extract<IntakeResult, { outcome: 'duplicate' }> {
  return {
    outcome: 'duplicate',
    existingId,
    errors: [
      fieldError('duplicate', 'dosServiceId', {
        environment: request.environment,
        // The reference people use for it (ECAT-…); the API's 409 carries the id as well.
        existing: referenceFor(existingId),
      }),
    ],
  };
}

export type AcceptedResult = Extract<IntakeResult, { outcome: 'accepted' }>;

/** An answer to keep with an accepted request, under a name (an Idempotency-Key's). */
export interface Remember {
  name: string;
  value(accepted: AcceptedResult): string;
}

export async function submitRequest(
  input: unknown,
  deps: IntakeDeps,
  submitter: Submitter = COMMAND_LINE,
  remember?: Remember,
): Promise<IntakeResult> {
  const assessment = await assessRequest(input, deps);
  if (assessment.outcome !== 'accepted') return assessment;
  const { request, urgency, careConnect, warnings } = assessment;
  const record = newRequestRecord(assessment, deps, submitter);
  const accepted: AcceptedResult = {
    outcome: 'accepted',
    id: record.id,
    status: 'queued',
    urgency,
    careConnect,
    warnings,
  };

  // Redis away: the store throws DependencyUnavailableError, and each entrance maps it.
  const created = await deps.store.accept({
    ...withChaserPlan(record, deps),
    ...(remember ? { remember: { name: remember.name, value: remember.value(accepted) } } : {}),
  });
  if (!created.ok) return duplicateOf(request, created.existingId);
  return accepted;
}
