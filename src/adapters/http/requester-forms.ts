// The requester's two changes as their forms post them, on their request's page (request-actions.ts)
// and on the status page a link in the email opens (status-pages.ts) alike: new test dates read by
// the request form's own date boxes, and a withdrawal with its optional reason checked.
import type { Actor } from '../../domain/people/person.ts';
import {
  changeTestDates,
  checkNote,
  withdrawRequest,
  type ChangeResult,
  type RequestActionDeps,
} from '../../use-cases/request-actions.ts';
import { requestFromForm, type FormValues } from './form-fields.ts';

export function changeTestDatesFromForm(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; values: FormValues },
): Promise<ChangeResult> {
  // The form's own date parsing (day, month and year boxes, month names), then the schema's.
  const dates = requestFromForm(change.values).testDates as
    { from?: string; to?: string } | undefined;
  return changeTestDates(deps, {
    id: change.id,
    actor: change.actor,
    testDates: { from: dates?.from ?? '', ...(dates?.to ? { to: dates.to } : {}) },
  });
}

export async function withdrawFromForm(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; values: FormValues },
): Promise<ChangeResult> {
  const reason = checkNote(change.values.reason, 'reason', {
    required: false,
    label: 'Why you are withdrawing it',
  });
  if (!reason.ok) return { ok: false, reason: 'invalid', errors: reason.errors };
  return withdrawRequest(deps, {
    id: change.id,
    actor: change.actor,
    ...(reason.text ? { reason: reason.text } : {}),
  });
}
