// The follow-up jobs the worker runs besides sending, by job name.
import type { Job } from 'bullmq';
import { runConfiguredNotice, sweepCatalogue } from './catalogue-check.ts';
import { runChaser } from './chaser.ts';
import type { FollowUpDeps } from './deps.ts';
import {
  CATALOGUE_CHECK_JOB,
  CHASER_JOB,
  CONFIGURED_NOTICE_JOB,
  OVERDUE_SWEEP_JOB,
  type ChaserJobData,
  type NoticeJobData,
} from './jobs.ts';
import { sweepOverdue } from './overdue.ts';

export type JobHandler = (job: Job) => Promise<string>;

const list = (ids: string[]) => (ids.length > 0 ? ` (${ids.join(', ')})` : '');

export function followUpHandlers(deps: FollowUpDeps): Record<string, JobHandler> {
  return {
    [CHASER_JOB]: (job) => runChaser(job as Job<ChaserJobData>, deps),
    [CONFIGURED_NOTICE_JOB]: (job) => runConfiguredNotice(job as Job<NoticeJobData>, deps),
    [OVERDUE_SWEEP_JOB]: async (job) => {
      const result = await sweepOverdue(deps);
      if (!result) return 'skipped: another sweep is running';
      const line = `overdue: ${result.marked.length} marked${list(result.marked)}, ${result.notified.length} told, ${result.failed.length} not told yet`;
      await job.log(line);
      return line;
    },
    [CATALOGUE_CHECK_JOB]: async (job) => {
      const result = await sweepCatalogue(deps);
      if (!result) return 'skipped: another check is running';
      const line = `catalogue: ${result.live.length} live${list(result.live)}, ${result.absent.length} not yet, ${result.unavailable.length} failed, ${result.throttled.length} throttled, ${result.skipped.length} skipped`;
      await job.log(line);
      return line;
    },
  };
}
