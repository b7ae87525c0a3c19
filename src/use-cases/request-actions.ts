// What people do to an outstanding request once it is in: the BaRS team confirms it, cancels it or
// asks the requester for changes; the requester changes its test dates or withdraws it. One
// function each, the same whether it comes from the request's page or a signed link in an email.
// Each writes one history entry naming who did it, and queues the email that tells the other side.
import { londonDate } from '../domain/dates.ts';
import { chaserPlan, type ChaserSettings } from '../domain/follow-up-schedule.ts';
import { datesText } from '../domain/email/follow-up-emails.ts';
import type { Actor } from '../domain/people/person.ts';
import { isOutstanding, isOverdue, type RequestRecord } from '../domain/request/record.ts';
import { checkRules } from '../domain/request/rules.ts';
import {
  configurationRequestSchema,
  fieldError,
  formatIssues,
  type ConfigurationRequest,
  type FieldError,
} from '../domain/request/schema.ts';
import { rateUrgency, type UrgencyThresholds } from '../domain/urgency.ts';
import type { WorkingCalendar } from '../domain/working-days.ts';
import type { ActionEmail, FollowUpJobs } from '../ports/jobs.ts';
import type { NewEntry, RequestStore, TransitionResult } from '../ports/request-store.ts';

/** What the actions touch: an intake's deps with the follow-up jobs satisfy it. */
export interface RequestActionDeps {
  store: RequestStore;
  followUpJobs: FollowUpJobs;
  /** New test dates are judged and rated as intake judges and rates them. */
  calendar: WorkingCalendar;
  thresholds: UrgencyThresholds;
  /** When set, new test dates plan the reminder to the BaRS mailbox again. */
  chaser?: ChaserSettings;
  now: () => Date;
}

/** A change refused for what was typed: the errors say what to fix, at the field. */
export type Invalid = { ok: false; reason: 'invalid'; errors: FieldError[] };
export type ChangeResult = TransitionResult | Invalid;

type TestDates = NonNullable<ConfigurationRequest['testDates']>;

/** Notes and reasons: what the request's notes allow (CONTRACT.md), line breaks included. */
export const NOTE_MAX = 2000;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * A note or reason as typed, trimmed, or what is wrong with it under `path` ("note", "reason").
 * Line breaks are the one control character allowed: the text only ever goes in an email's body.
 */
export function checkNote(
  text: string | undefined,
  path: string,
  options: { required: boolean; label: string },
): { ok: true; text: string | undefined } | { ok: false; errors: FieldError[] } {
  const trimmed = (text ?? '').trim();
  const problem = (code: FieldError['code'], message: string) => ({
    ok: false as const,
    errors: [{ path, code, message }],
  });
  if (trimmed === '') {
    return options.required
      ? problem('required', `Enter ${options.label.toLowerCase()}`)
      : { ok: true, text: undefined };
  }
  if (CONTROL_BUT_LINE_BREAKS.test(trimmed)) {
    return problem('control-characters', `${options.label} must not include control characters`);
  }
  if (trimmed.length > NOTE_MAX) {
    return problem(
      'too-long',
      `${options.label} must be ${NOTE_MAX.toLocaleString('en-GB')} characters or fewer`,
    );
  }
  return { ok: true, text: trimmed };
}

/** The record as read, when it is there and outstanding; otherwise why not. */
async function outstanding(
  store: RequestStore,
  id: string,
): Promise<{ ok: true; record: RequestRecord } | Exclude<TransitionResult, { ok: true }>> {
  const record = await store.get(id);
  if (!record) return { ok: false, reason: 'not-found' };
  if (!isOutstanding(record.status)) return { ok: false, reason: 'not-allowed', record };
  return { ok: true, record };
}

/** Queues the email about the history entry just written (the record's last). */
function tell(deps: RequestActionDeps, kind: ActionEmail, record: RequestRecord): Promise<void> {
  return deps.followUpJobs.addActionEmail(kind, {
    requestId: record.id,
    entry: record.history.length - 1,
  });
}

/**
 * A request is in the catalogue, whoever found it (the BaRS team, the catalogue check): `configured`,
 * no longer overdue, the requester told they are live (its own job, so a mail server that is down
 * delays the notice but never undoes the change), and the reminder taken back.
 */
export async function markConfigured(
  deps: Pick<RequestActionDeps, 'store' | 'followUpJobs'>,
  id: string,
  entry: NewEntry,
): Promise<TransitionResult> {
  const result = await deps.store.transition(id, 'configured', entry, { overdue: false });
  if (!result.ok) return result;
  await deps.followUpJobs.addConfiguredNotice(id);
  await deps.followUpJobs.removeChaser(id);
  return result;
}

/** The BaRS team says the service is in the catalogue. */
export function confirmConfigured(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor },
): Promise<TransitionResult> {
  return markConfigured(deps, change.id, {
    event: 'configured',
    reason: 'confirmed in the BaRS Endpoint Catalogue by the BaRS team',
    details: { by: 'hand' },
    actor: change.actor,
  });
}

/**
 * The BaRS team will not do it: `cancelled`, and the reminder taken back. `reason` is kept in the
 * history only; the entrance has checked it (checkNote).
 */
export async function cancelRequest(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; reason?: string },
): Promise<TransitionResult> {
  const result = await deps.store.transition(change.id, 'cancelled', {
    event: 'cancelled',
    reason: `cancelled by the BaRS team${change.reason ? `: ${change.reason}` : ''}`,
    details: { by: 'hand', ...(change.reason ? { note: change.reason } : {}) },
    actor: change.actor,
  });
  if (result.ok) await deps.followUpJobs.removeChaser(change.id);
  return result;
}

/**
 * The BaRS team needs something changed before it can add the service: the status stays, the
 * history keeps the team's words, and they are emailed to the requester (Reply-To the BaRS mailbox).
 */
export async function askForChanges(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; note: string },
): Promise<ChangeResult> {
  const note = checkNote(change.note, 'note', { required: true, label: 'What needs to change' });
  if (!note.ok) return { ok: false, reason: 'invalid', errors: note.errors };
  const found = await outstanding(deps.store, change.id);
  if (!found.ok) return found;
  const text = note.text ?? '';
  const record = await deps.store.note(
    change.id,
    {
      event: 'changes-requested',
      reason: `the BaRS team asked for changes: ${text}`,
      details: { note: text },
      actor: change.actor,
    },
    undefined,
    // Checked again as it is written: a request confirmed a moment ago is not asked about.
    (current) => isOutstanding(current.status),
  );
  if (!record) {
    const now = await outstanding(deps.store, change.id);
    return now.ok ? { ok: false, reason: 'not-allowed', record: now.record } : now;
  }
  await tell(deps, 'changes-requested', record);
  return { ok: true, record };
}

/**
 * New test dates judged by the request's own rules (the schema's date checks, then rules.ts: not
 * in the past, at most 24 months ahead), or what is wrong with them, at `testDates.from`/`.to`.
 */
export function checkTestDates(
  given: { from: string; to?: string },
  request: ConfigurationRequest,
  deps: Pick<RequestActionDeps, 'calendar' | 'thresholds' | 'now'>,
): { ok: true; testDates: TestDates } | Invalid {
  const input = { testDates: given.to ? { from: given.from, to: given.to } : { from: given.from } };
  const parsed = configurationRequestSchema.pick({ testDates: true }).safeParse(input);
  if (!parsed.success) {
    return { ok: false, reason: 'invalid', errors: formatIssues(parsed.error.issues, input) };
  }
  const testDates = parsed.data.testDates;
  if (!testDates)
    return { ok: false, reason: 'invalid', errors: [fieldError('required', 'testDates.from')] };
  const { refusals } = checkRules(
    { ...request, testDates },
    {
      today: londonDate(deps.now()),
      calendar: deps.calendar,
      minLeadWorkingDays:
        deps.thresholds.minLeadWorkingDays ?? deps.thresholds.urgentMaxWorkingDays,
    },
  );
  const errors = refusals.filter((error) => error.path.startsWith('testDates'));
  return errors.length > 0 ? { ok: false, reason: 'invalid', errors } : { ok: true, testDates };
}

const sameDates = (a: TestDates | undefined, b: TestDates) => a?.from === b.from && a.to === b.to;

/**
 * The requester's new test dates: rated again as intake rates them, the record filed again under
 * its new urgency and earliest test date (one atomic step in the store), the reminder planned
 * again, and the BaRS mailbox told, under the original email. The same dates again change nothing.
 */
export async function changeTestDates(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; testDates: { from: string; to?: string } },
): Promise<ChangeResult> {
  const found = await outstanding(deps.store, change.id);
  if (!found.ok) return found;
  const checked = checkTestDates(change.testDates, found.record.request, deps);
  if (!checked.ok) return checked;
  const { testDates } = checked;
  if (sameDates(found.record.request.testDates, testDates)) return found;

  const now = deps.now();
  const today = londonDate(now);
  const urgency = rateUrgency(testDates.from, today, deps.calendar, deps.thresholds);
  const result = await deps.store.changeTestDates(change.id, (before) => {
    const was = before.request.testDates;
    const moved = { ...before, earliestTestDate: testDates.from };
    return {
      testDates,
      urgency,
      // Marked overdue (and told so) stays marked while testing has still begun; moved later, not.
      overdue: before.overdue && isOverdue(moved, today),
      entry: {
        event: 'test-dates-changed',
        reason: `test dates changed from ${datesText(was)} to ${datesText(testDates)}; urgency ${urgency.level} (${urgency.reason})${before.urgency.level === urgency.level ? '' : `, was ${before.urgency.level}`}`,
        details: {
          from: testDates.from,
          to: testDates.to ?? '',
          fromBefore: was?.from ?? '',
          toBefore: was?.to ?? '',
          urgency: urgency.level,
          urgencyReason: urgency.reason,
          urgencyBefore: before.urgency.level,
        },
        actor: change.actor,
      },
    };
  });
  if (!result.ok) return result;
  if (deps.chaser) {
    const plan = chaserPlan(result.record, deps.calendar, deps.chaser);
    // A reminder due today or earlier would only repeat the email about the new dates.
    await deps.followUpJobs.replaceChaser(
      result.record,
      plan && plan.sendOn > today ? plan : undefined,
      now,
    );
  }
  await tell(deps, 'test-dates-changed', result.record);
  return result;
}

/**
 * The requester no longer wants it: `cancelled` (event `withdrawn`), the reminder taken back, and
 * the BaRS mailbox told so, with the reason when one is given (trimmed; control characters other
 * than line breaks dropped, at most NOTE_MAX characters: the entrance has normally checked it).
 */
export async function withdrawRequest(
  deps: RequestActionDeps,
  change: { id: string; actor: Actor; reason?: string },
): Promise<TransitionResult> {
  const reason = change.reason
    ?.replace(new RegExp(CONTROL_BUT_LINE_BREAKS.source, 'g'), '')
    .trim()
    .slice(0, NOTE_MAX);
  const result = await deps.store.transition(change.id, 'cancelled', {
    event: 'withdrawn',
    reason: `withdrawn by the requester${reason ? `: ${reason}` : ''}`,
    details: { by: 'requester', ...(reason ? { note: reason } : {}) },
    actor: change.actor,
  });
  if (!result.ok) return result;
  await deps.followUpJobs.removeChaser(change.id);
  await tell(deps, 'withdrawn', result.record);
  return result;
}
