// A notice to the requester, sent by its own job on the mail queue: once per request, while the
// request is still in the state it speaks of, and written in the history with the server's reply.
import type { OutgoingEmail } from '../../domain/email/message.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import type { NoticeJobData, RunningJob } from '../../ports/jobs.ts';
import { PermanentMailError, withRefusedCopies } from '../../ports/mailer.ts';
import { sendFromJob } from './chaser.ts';
import type { FollowUpDeps } from './deps.ts';

export interface Notice {
  /** Its history event, which also marks it sent. */
  event: string;
  /** Whether the request is still in the state the notice is about. */
  applies(record: RequestRecord): boolean;
  render(record: RequestRecord): OutgoingEmail;
  /** What the history says before the server's reply: "the requester was told …". */
  told: string;
  /** A refusal for good, when the notice records it rather than failing the job. */
  refused?(record: RequestRecord, email: OutgoingEmail, error: PermanentMailError): Promise<string>;
}

export async function sendNotice(
  job: RunningJob<NoticeJobData>,
  deps: FollowUpDeps,
  notice: Notice,
): Promise<string> {
  const record = await deps.store.get(job.data.requestId);
  if (!record) return 'skipped: no such request';
  if (!notice.applies(record)) return `skipped: the request is ${record.status}`;
  if (record.history.some((entry) => entry.event === notice.event)) {
    return 'skipped: the requester was told already';
  }
  const email = notice.render(record);
  try {
    const receipt = await sendFromJob(job, email, record.id, notice.event, deps);
    await deps.store.note(record.id, {
      event: notice.event,
      actor: ACTORS.worker,
      // To the requester alone today; a Cc added later would have its refusal said here too.
      reason: withRefusedCopies(`${notice.told}: ${receipt.response}`, receipt),
      details: { messageId: email.messageId, template: email.headers['X-Ecat-Template'] ?? '' },
    });
    return receipt.response;
  } catch (error) {
    if (error instanceof PermanentMailError && notice.refused) {
      return notice.refused(record, email, error);
    }
    throw error;
  }
}
