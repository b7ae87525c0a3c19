// The follow-up jobs the worker runs besides sending, by queue and job name: those that send mail
// run on the mail queue, the sweeps on the follow-up queue.
import { runActionEmail } from './action-emails.ts';
import { runConfiguredNotice, sweepCatalogue } from './catalogue-check.ts';
import { runChaser } from './chaser.ts';
import type { FollowUpDeps } from './deps.ts';
import {
  ACTION_EMAILS,
  actionEmailJob,
  CATALOGUE_CHECK_JOB,
  CHASER_JOB,
  CONFIGURED_NOTICE_JOB,
  OVERDUE_NOTICE_JOB,
  OVERDUE_SWEEP_JOB,
  type ActionEmailJobData,
  type ChaserJobData,
  type JobHandler,
  type NoticeJobData,
  type RunningJob,
} from '../../ports/jobs.ts';
import { runOverdueNotice, sweepOverdue } from './overdue.ts';

const list = (ids: string[]) => (ids.length > 0 ? ` (${ids.join(', ')})` : '');

export interface FollowUpHandlers {
  /** Jobs on the mail queue besides the send job. */
  mail: Record<string, JobHandler>;
  /** Jobs on the follow-up queue. */
  sweeps: Record<string, JobHandler>;
}

export function followUpHandlers(deps: FollowUpDeps): FollowUpHandlers {
  const mail = {
    [CHASER_JOB]: (job: RunningJob) => runChaser(job as RunningJob<ChaserJobData>, deps),
    [CONFIGURED_NOTICE_JOB]: (job: RunningJob) =>
      runConfiguredNotice(job as RunningJob<NoticeJobData>, deps),
    [OVERDUE_NOTICE_JOB]: (job: RunningJob) =>
      runOverdueNotice(job as RunningJob<NoticeJobData>, deps),
    ...Object.fromEntries(
      ACTION_EMAILS.map((kind) => [
        actionEmailJob(kind),
        (job: RunningJob) => runActionEmail(kind, job as RunningJob<ActionEmailJobData>, deps),
      ]),
    ),
  };
  const sweeps = {
    [OVERDUE_SWEEP_JOB]: async (job: RunningJob) => {
      const result = await sweepOverdue(deps);
      if (!result) return 'skipped: another sweep is running';
      const line = `overdue: ${result.marked.length} marked${list(result.marked)}, ${result.queued.length} notices queued`;
      await job.log(line);
      return line;
    },
    [CATALOGUE_CHECK_JOB]: async (job: RunningJob) => {
      const result = await sweepCatalogue(deps);
      if (!result) return 'skipped: another check is running';
      const line = `catalogue: ${result.live.length} live${list(result.live)}, ${result.absent.length} not yet, ${result.unavailable.length} failed, ${result.throttled.length} throttled, ${result.skipped.length} skipped`;
      await job.log(line);
      return line;
    },
  };
  return { mail, sweeps };
}
