// The chaser job: on its day, a reminder to the BaRS mailbox for a request still not configured,
// at most once per request. A job for a request that was confirmed, cancelled or re-planned since
// it was scheduled does nothing.
import type { OutgoingEmail } from '../../domain/email/message.ts';
import { londonDate } from '../../domain/dates.ts';
import { ACTORS } from '../../domain/people/person.ts';
import { isOutstanding } from '../../domain/request/record.ts';
import type { FollowUpDeps } from './deps.ts';
import { attemptOf, type ChaserJobData, type RunningJob } from '../../ports/jobs.ts';
import { chaserPlan } from '../../domain/follow-up-schedule.ts';
import {
  PermanentMailError,
  TemporaryMailError,
  refusedAddresses,
  withRefusedCopies,
  type DeliveryReceipt,
} from '../../ports/mailer.ts';
import { renderChaserEmail } from '../../domain/email/follow-up-emails.ts';

/**
 * Sends one follow-up email from a job: permanent refusals end the job (and are recorded),
 * temporary ones are retried by BullMQ and recorded when the last attempt fails. The worker
 * (adapters/queues/workers.ts) tells BullMQ which from the error itself.
 */
export async function sendFromJob(
  job: RunningJob,
  email: OutgoingEmail,
  requestId: string,
  event: string,
  deps: Pick<FollowUpDeps, 'mailer' | 'store'>,
): Promise<DeliveryReceipt> {
  const attempt = attemptOf(job);
  try {
    return await deps.mailer.send(email);
  } catch (error) {
    if (
      error instanceof PermanentMailError ||
      (error instanceof TemporaryMailError && attempt.last)
    ) {
      await deps.store.note(requestId, {
        event: `${event}-failed`,
        actor: ACTORS.worker,
        reason: `the ${event} email could not be sent: ${error.message}`,
        details: { messageId: email.messageId, attempt: attempt.number },
      });
    }
    throw error;
  }
}

export async function runChaser(
  job: RunningJob<ChaserJobData>,
  deps: FollowUpDeps,
): Promise<string> {
  const record = await deps.store.get(job.data.requestId);
  if (!record) return 'skipped: no such request';
  if (!isOutstanding(record.status)) return `skipped: the request is ${record.status}`;
  if (record.history.some((entry) => entry.event === 'chaser')) {
    return 'skipped: a reminder went already';
  }
  const plan = chaserPlan(record, deps.calendar, deps.chaser);
  if (plan?.sendOn !== job.data.sendOn) return 'skipped: planned for another day now';
  if (record.status !== 'sent') {
    // A reminder of an email the BaRS team never received would only confuse; overdue follows.
    await deps.store.note(record.id, {
      event: 'chaser-skipped',
      actor: ACTORS.worker,
      reason: `no reminder on ${plan.sendOn}: the original email is ${record.status}`,
    });
    return `skipped: the original email is ${record.status}`;
  }

  const email = renderChaserEmail(
    record,
    londonDate(deps.now()),
    deps.calendar,
    deps.mail,
    deps.renderer,
  );
  await job.log(`sending reminder ${email.messageId} in reply to ${record.messageId}`);
  const receipt = await sendFromJob(job, email, record.id, 'chaser', deps);
  await deps.store.note(record.id, {
    event: 'chaser',
    actor: ACTORS.worker,
    // The BaRS mailbox had it, so this is the reminder even if the requester's copy was refused.
    reason: withRefusedCopies(
      `reminder sent to the BaRS mailbox ${plan.workingDaysBefore} working days before testing: ${receipt.response}`,
      receipt,
    ),
    details: {
      messageId: email.messageId,
      inReplyTo: record.messageId,
      template: email.headers['X-Ecat-Template'] ?? '',
      sendOn: plan.sendOn,
      ...(receipt.refusedCopies.length > 0
        ? { refusedCopies: refusedAddresses(receipt.refusedCopies) }
        : {}),
    },
  });
  return withRefusedCopies(receipt.response, receipt);
}
