// The overdue sweep (a repeating job): a request overdue by CONTRACT.md's definition (outstanding,
// its earliest test date come, submitted before today) is marked overdue, with a history entry,
// and its notice to the requester alone is queued on the mail queue, so it waits its turn under
// the mail limits like every other email. The notice job sends it once. A request submitted on
// its first test date is left alone that day: nobody is told it is overdue the moment they send it.
import { formatLongDate, londonDate } from '../../domain/dates.ts';
import { renderOverdueEmail } from '../../domain/email/follow-up-emails.ts';
import { ACTORS } from '../../domain/people/person.ts';
import { isOutstanding, isOverdue, type RequestRecord } from '../../domain/request/record.ts';
import {
  OVERDUE_SWEEP_JOB,
  attemptOf,
  type NoticeJobData,
  type RunningJob,
} from '../../ports/jobs.ts';
import { refusedAddresses, type PermanentMailError } from '../../ports/mailer.ts';
import { sendNotice } from './notice.ts';
import { SWEEP_LOCK_MS, type FollowUpDeps } from './deps.ts';

export interface OverdueSweepResult {
  marked: string[];
  /** Requests whose notice was queued by this sweep (or is still queued from an earlier one). */
  queued: string[];
}

const notified = (record: RequestRecord) =>
  record.history.some((entry) => entry.event === 'overdue-notice');

/** " to a@b" when the server refused the notice's recipient by name (RCPT TO), else nothing. */
const refusedTo = (error: PermanentMailError) =>
  error.refused.length > 0 ? ` to ${refusedAddresses(error.refused)}` : '';

export async function sweepOverdue(deps: FollowUpDeps): Promise<OverdueSweepResult | undefined> {
  const today = londonDate(deps.now());
  return deps.state.withSweepLock(OVERDUE_SWEEP_JOB, SWEEP_LOCK_MS, async () => {
    const result: OverdueSweepResult = { marked: [], queued: [] };
    for (const id of await deps.store.overdueIds(today)) {
      let record = await deps.store.get(id);
      // Read again, not taken on the store's word: it may have changed since it was listed.
      if (!record || !isOverdue(record, today) || record.earliestTestDate === undefined) continue;
      if (!record.overdue) {
        const testDate = record.earliestTestDate;
        const marked = await deps.store.note(
          id,
          {
            event: 'overdue',
            actor: ACTORS.worker,
            reason: `testing was due to start on ${formatLongDate(testDate)} and the service is not configured yet`,
          },
          { overdue: true },
          // Checked inside the transaction: a request confirmed a moment ago is not overdue.
          (current) => isOverdue(current, today) && !current.overdue,
        );
        if (!marked) continue;
        record = marked;
        result.marked.push(id);
      }
      if (notified(record)) continue;
      await deps.jobs.addOverdueNotice(id);
      result.queued.push(id);
    }
    return result;
  });
}

/** The overdue notice job: the requester is told once, unless the request moved on meanwhile. */
export function runOverdueNotice(
  job: RunningJob<NoticeJobData>,
  deps: FollowUpDeps,
): Promise<string> {
  return sendNotice(job, deps, {
    event: 'overdue-notice',
    applies: (record) => isOutstanding(record.status),
    render: (record) => renderOverdueEmail(record, deps.mail, deps.renderer, deps.publicUrl),
    told: 'the requester was told testing has started without the service configured',
    async refused(record, email, error) {
      // Recorded as the notice, so no later sweep queues it again. Its To is the requester: a
      // refused address here is the notice's own failure.
      await deps.store.note(record.id, {
        event: 'overdue-notice',
        actor: ACTORS.worker,
        reason: `the overdue notice${refusedTo(error)} was refused by the mail server: ${error.response}`,
        details: { messageId: email.messageId, delivered: false, attempt: attemptOf(job).number },
      });
      return `refused: ${error.response}`;
    },
  });
}
