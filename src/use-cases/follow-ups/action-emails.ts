// The emails an action on a request sends, each by its own job on the mail queue (request-actions.ts
// queues them): the changes the BaRS team asked for, to the requester; new test dates and a
// withdrawal, to the BaRS mailbox. Each tells of one history entry, is sent once for it, and is
// written in the history with the server's reply.
import type { OutgoingEmail } from '../../domain/email/message.ts';
import {
  renderChangesRequestedEmail,
  renderTestDatesChangedEmail,
  renderWithdrawnEmail,
} from '../../domain/email/follow-up-emails.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { HistoryEntry, RequestRecord } from '../../domain/request/record.ts';
import { URGENCY_LEVELS, type UrgencyLevel } from '../../domain/urgency.ts';
import {
  actionEmailJob,
  type ActionEmail,
  type ActionEmailJobData,
  type RunningJob,
} from '../../ports/jobs.ts';
import { refusedAddresses, withRefusedCopies } from '../../ports/mailer.ts';
import { sendFromJob } from './chaser.ts';
import type { FollowUpDeps } from './deps.ts';

/** A text fact of an entry ('' and absent alike: undefined). */
function text(entry: HistoryEntry, key: string): string | undefined {
  const value = entry.details?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function level(entry: HistoryEntry, key: string): UrgencyLevel {
  const value = text(entry, key);
  return URGENCY_LEVELS.find((candidate) => candidate === value) ?? 'routine';
}

function dates(from: string | undefined, to: string | undefined) {
  return from === undefined ? undefined : { from, ...(to ? { to } : {}) };
}

/** The email telling of `entry` (the history entry at `index`), as of the record now. */
function render(
  kind: ActionEmail,
  record: RequestRecord,
  entry: HistoryEntry,
  index: number,
  deps: FollowUpDeps,
): OutgoingEmail {
  const facts = { entry: index, ...(entry.actor ? { actor: entry.actor } : {}) };
  const note = text(entry, 'note');
  switch (kind) {
    case 'changes-requested':
      return renderChangesRequestedEmail(
        record,
        { ...facts, note: note ?? '' },
        deps.mail,
        deps.renderer,
        deps.publicUrl,
      );
    case 'test-dates-changed':
      return renderTestDatesChangedEmail(
        record,
        {
          ...facts,
          before: dates(text(entry, 'fromBefore'), text(entry, 'toBefore')),
          after: dates(text(entry, 'from'), text(entry, 'to')) ?? {
            from: record.earliestTestDate ?? '',
          },
          urgencyBefore: level(entry, 'urgencyBefore'),
          urgency: { level: level(entry, 'urgency'), reason: text(entry, 'urgencyReason') ?? '' },
        },
        deps.mail,
        deps.renderer,
      );
    case 'withdrawn':
      return renderWithdrawnEmail(
        record,
        { ...facts, ...(note ? { reason: note } : {}) },
        deps.mail,
        deps.renderer,
      );
  }
}

/** What the history says once the mail server has it. */
const TOLD: Record<ActionEmail, string> = {
  'changes-requested': 'the requester was emailed the changes the BaRS team asked for',
  'test-dates-changed': 'the BaRS mailbox was told of the new test dates',
  withdrawn: 'the BaRS mailbox was told the request was withdrawn',
};

export async function runActionEmail(
  kind: ActionEmail,
  job: RunningJob<ActionEmailJobData>,
  deps: FollowUpDeps,
): Promise<string> {
  const { requestId, entry: index } = job.data;
  const record = await deps.store.get(requestId);
  if (!record) return 'skipped: no such request';
  const entry = record.history[index];
  if (entry?.event !== kind) return `skipped: entry ${index} is not ${kind}`;
  const event = actionEmailJob(kind);
  if (record.history.some((sent) => sent.event === event && sent.details?.entry === index)) {
    return 'skipped: sent already';
  }
  const email = render(kind, record, entry, index, deps);
  const receipt = await sendFromJob(job, email, record.id, event, deps);
  await deps.store.note(record.id, {
    event,
    actor: ACTORS.worker,
    reason: withRefusedCopies(`${TOLD[kind]}: ${receipt.response}`, receipt),
    details: {
      entry: index,
      messageId: email.messageId,
      template: email.headers['X-Ecat-Template'] ?? '',
      ...(receipt.refusedCopies.length > 0
        ? { refusedCopies: refusedAddresses(receipt.refusedCopies) }
        : {}),
    },
  });
  return withRefusedCopies(receipt.response, receipt);
}
