// The overdue sweep (a repeating job): an outstanding request whose earliest test date has come
// is marked overdue, with a history entry, and its requester alone is told, once.
import { formatLongDate, londonDate } from '../../domain/dates.ts';
import { isOutstanding, type RequestRecord } from '../../domain/request/record.ts';
import { OVERDUE_SWEEP_JOB } from '../../ports/jobs.ts';
import { SWEEP_LOCK_MS, type FollowUpDeps } from './deps.ts';
import { PermanentMailError, refusedAddresses, withRefusedCopies } from '../../ports/mailer.ts';
import { renderOverdueEmail } from '../../domain/email/follow-up-emails.ts';

export interface OverdueSweepResult {
  marked: string[];
  notified: string[];
  /** Notices that failed this time; a temporary failure is tried again by the next sweep. */
  failed: string[];
}

const notified = (record: RequestRecord) =>
  record.history.some((entry) => entry.event === 'overdue-notice');

/** " to a@b" when the server refused the notice's recipient by name (RCPT TO), else nothing. */
const refusedTo = (error: PermanentMailError) =>
  error.refused.length > 0 ? ` to ${refusedAddresses(error.refused)}` : '';

async function notify(record: RequestRecord, deps: FollowUpDeps): Promise<boolean> {
  const email = renderOverdueEmail(record, deps.mail, deps.renderer);
  try {
    const receipt = await deps.mailer.send(email);
    await deps.store.note(record.id, {
      event: 'overdue-notice',
      // The notice has no Cc today; should one be added, its refusal is said here too.
      reason: withRefusedCopies(
        `the requester was told testing has started without the service configured: ${receipt.response}`,
        receipt,
      ),
      details: { messageId: email.messageId, template: email.headers['X-Ecat-Template'] ?? '' },
    });
    return true;
  } catch (error) {
    if (error instanceof PermanentMailError) {
      // Recorded as the notice, so the sweep does not refuse-and-retry every five minutes.
      await deps.store.note(record.id, {
        event: 'overdue-notice',
        // Its To is the requester: a refused address here is the notice's own failure.
        reason: `the overdue notice${refusedTo(error)} was refused by the mail server: ${error.response}`,
        details: { messageId: email.messageId, delivered: false },
      });
    } else {
      deps.log.warn({ requestId: record.id }, `overdue notice not sent yet: ${String(error)}`);
    }
    return false;
  }
}

export async function sweepOverdue(deps: FollowUpDeps): Promise<OverdueSweepResult | undefined> {
  const today = londonDate(deps.now());
  return deps.state.withSweepLock(OVERDUE_SWEEP_JOB, SWEEP_LOCK_MS, async () => {
    const result: OverdueSweepResult = { marked: [], notified: [], failed: [] };
    for (const id of await deps.store.overdueIds(today)) {
      let record = await deps.store.get(id);
      if (!record || !isOutstanding(record.status) || record.earliestTestDate === undefined) {
        continue;
      }
      if (!record.overdue) {
        const testDate = record.earliestTestDate;
        const marked = await deps.store.note(
          id,
          {
            event: 'overdue',
            reason: `testing was due to start on ${formatLongDate(testDate)} and the service is not configured yet`,
          },
          { overdue: true },
          // Checked inside the transaction: a request confirmed a moment ago is not overdue.
          (current) => isOutstanding(current.status) && !current.overdue,
        );
        if (!marked) continue;
        record = marked;
        result.marked.push(id);
      }
      if (notified(record)) continue;
      if (await notify(record, deps)) result.notified.push(id);
      else result.failed.push(id);
    }
    return result;
  });
}
