// Intake: the one path every entrance (CLI, HTTP API, form, CSV import) uses to accept a request:
// assess → duplicate check → record + enqueue, written together so a request is either fully
// accepted or not there at all.
import type { Assessment } from './assess.ts';
import type { FieldError } from './request/schema.ts';
import type { Urgency } from './request/urgency.ts';
import type { CareConnectFinding } from './careconnect/finding.ts';

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
