// Pausing every email at once: the mailbox's daily quota is used up (NHSmail's 554 5.2.0), so no
// worker sends anything until it can have reset. The mail queue is paused (the dashboard shows it)
// and a delayed job on the follow-up queue, which never pauses, resumes it.
import type { Queue } from 'bullmq';
import { PRIORITY } from './queues.ts';

export const RESUME_MAIL_JOB = 'resume-mail';

export interface MailPause {
  /** Pauses the mail queue for `ms`; a pause already running keeps its own end. */
  pauseFor(ms: number): Promise<void>;
  /** The follow-up job that ends the pause. */
  resume(): Promise<string>;
}

export function createMailPause(mailQueue: Queue, followUpQueue: Queue): MailPause {
  return {
    async pauseFor(ms) {
      await mailQueue.pause();
      // One resume job at a time: adding an id BullMQ still holds is ignored (LIBRARIES.md), and
      // it is removed once done so the next pause can add it again.
      await followUpQueue.add(
        RESUME_MAIL_JOB,
        {},
        {
          jobId: RESUME_MAIL_JOB,
          delay: ms,
          priority: PRIORITY.urgent,
          removeOnComplete: true,
          removeOnFail: true,
        },
      );
    },
    async resume() {
      await mailQueue.resume();
      return 'mail queue resumed';
    },
  };
}
