// The one path for a status change by hand (CLI and API alike): the change itself, then the
// request's reminder taken off the queue once the request is no longer outstanding, so the
// dashboard does not show a chaser that can only come to nothing.
import type { Actor } from '../domain/people/person.ts';
import { isOutstanding, type RequestStatus } from '../domain/request/record.ts';
import type { FollowUpJobs } from '../ports/jobs.ts';
import type { RequestStore, TransitionResult } from '../ports/request-store.ts';

export interface ChangeByHandDeps {
  store: RequestStore;
  followUpJobs: FollowUpJobs;
}

export async function changeStatusByHand(
  deps: ChangeByHandDeps,
  change: {
    id: string;
    to: RequestStatus;
    event: string;
    reason: string;
    /** The channel, kept in `details.by` as before people ("hand (cli)", "hand (api)"). */
    by: string;
    /** Who did it, named in the history. */
    actor: Actor;
  },
): Promise<TransitionResult> {
  const result = await deps.store.transition(change.id, change.to, {
    event: change.event,
    reason: change.reason,
    details: { by: change.by },
    actor: change.actor,
  });
  // The status is what counts and it has changed: a chaser left behind checks the status when it
  // runs and sends nothing, so failing to remove it must not turn this change into an error.
  if (result.ok && !isOutstanding(change.to)) {
    await deps.followUpJobs.removeChaser(change.id).catch(() => undefined);
  }
  return result;
}
