// Intake: the one path every entrance (CLI, HTTP API, form, CSV import) uses to accept a request:
// assess → duplicate check → record + enqueue, written together so a request is either fully
// accepted or not there at all.
import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { assessRequest, type AssessDeps, type Assessment } from './assess.ts';
import type { CareConnectFinding } from './careconnect/finding.ts';
import { messageIdFor } from './email/render.ts';
import { addSendJobToTransaction, type RetryPolicy } from './queue/queue.ts';
import { isConnectionError, unreachable } from './redis.ts';
import type { RequestRecord } from './requests/record.ts';
import type { RequestStore } from './requests/store.ts';
import type { FieldError } from './request/schema.ts';
import type { Urgency } from './request/urgency.ts';

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

/** Redis (or another dependency intake needs) cannot be reached: HTTP 503, CLI exit 3. */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
}

export interface IntakeDeps extends AssessDeps {
  store: RequestStore;
  queue: Queue;
  retry: RetryPolicy;
  mailFrom: string;
  redisUrl: string;
  /** Who or what accepted it, for the history ("cli", "api", "form", "import"). */
  channel?: string;
}

export async function submitRequest(input: unknown, deps: IntakeDeps): Promise<IntakeResult> {
  const assessment = await assessRequest(input, deps);
  if (assessment.outcome !== 'accepted') return assessment;
  const { request, urgency, careConnect, warnings } = assessment;

  const id = `req-${randomUUID()}`;
  const at = deps.now().toISOString();
  const record: RequestRecord = {
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
      },
    ],
  };

  let created: Awaited<ReturnType<RequestStore['create']>>;
  try {
    created = await deps.store.create(record, (multi) =>
      addSendJobToTransaction(
        deps.queue,
        multi,
        {
          requestId: id,
          dosServiceId: request.dosServiceId,
          environment: request.environment,
          urgency: urgency.level,
        },
        deps.retry,
      ),
    );
  } catch (error) {
    if (isConnectionError(error)) throw unreachable(deps.redisUrl, error);
    throw error;
  }
  if (!created.ok) {
    return {
      outcome: 'duplicate',
      existingId: created.existingId,
      errors: [
        {
          path: 'dosServiceId',
          message: `an outstanding ${request.environment} request for DoS service ${request.dosServiceId} exists already: ${created.existingId}`,
        },
      ],
    };
  }
  return { outcome: 'accepted', id, status: 'queued', urgency, careConnect, warnings };
}
