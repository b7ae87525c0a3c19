// The send job: turns a queued request into the email to the BaRS mailbox and records the outcome.
// SMTP failures arrive classified (ports/mailer.ts): permanent ones end the job at once (the
// worker, adapters/queues/workers.ts, turns a non-retryable error into UnrecoverableError), everything else
// is retried by BullMQ with backoff until attempts run out.
import type { Logger } from 'pino';
import { checkCareConnect } from './check-careconnect.ts';
import type { Directory } from '../ports/directory.ts';
import { isRefusingFinding, needsRecheck } from '../domain/careconnect/finding.ts';
import { EcatError } from '../domain/errors.ts';
import { ACTORS } from '../domain/people/person.ts';
import type { HistoryEntry, RequestRecord } from '../domain/request/record.ts';
import { attemptOf, type RunningJob, type SendJobData } from '../ports/jobs.ts';
import type { RequestStore } from '../ports/request-store.ts';
import {
  MailDeferredError,
  PermanentMailError,
  TemporaryMailError,
  type RefusedRecipient,
  refusedAddresses,
  withRefusedCopies,
  type Mailer,
} from '../ports/mailer.ts';
import { configurationEmailFor, type EmailLinks } from '../domain/email/configuration-email.ts';
import type { TemplateRenderer } from '../domain/email/message.ts';

export interface SendDeps {
  store: RequestStore;
  directory: Directory;
  mailer: Mailer;
  renderer: TemplateRenderer;
  mail: { from: string; to: string };
  log: Logger;
  /**
   * The signed links for this request's email (README "Links in the email"): made afresh on each
   * attempt, so a retry carries new tokens while its Message-ID, from the record, stays the same.
   */
  emailLinks?: (record: RequestRecord) => EmailLinks;
}

/**
 * With the directory still down on this attempt (or the job's last, if sooner) the email goes
 * anyway, saying so: an urgent request should not wait out every backoff for DoS to come back.
 */
export const SEND_UNVERIFIED_FROM_ATTEMPT = 3;

const UNVERIFIED_WARNING = 'CareConnect could not be verified';

/** The directory was still unreachable on an early attempt: retried like a temporary failure. */
class StillUnverifiedError extends EcatError {
  override readonly name = 'StillUnverifiedError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
}

/** CareConnect, checked again, refuses the request: recorded as failed, never retried. */
class CareConnectRefusedError extends EcatError {
  override readonly name = 'CareConnectRefusedError';
  override readonly kind = 'refused';
  override readonly retryable = false;
}

interface Attempt {
  number: number;
  last: boolean;
}

async function recheckCareConnect(
  record: RequestRecord,
  attempt: Attempt,
  deps: SendDeps,
): Promise<RequestRecord> {
  const { request } = record;
  const finding = await checkCareConnect(
    deps.directory,
    {
      dosServiceId: request.dosServiceId,
      odsCode: request.odsCode,
      environment: request.environment,
    },
    request.careConnectWaiver,
  );
  const sendAnyway = attempt.last || attempt.number >= SEND_UNVERIFIED_FROM_ATTEMPT;
  // A final `unverified` (the directory cannot answer for this request) goes at once: waiting
  // cannot change it.
  if (needsRecheck(finding) && !sendAnyway) {
    await deps.store.note(record.id, {
      event: 'recheck',
      reason: finding.detail,
      actor: ACTORS.worker,
    });
    throw new StillUnverifiedError(`CareConnect still unverified: ${finding.detail}`);
  }
  if (isRefusingFinding(finding)) {
    // Intake would have refused this (CONTRACT.md: missing/malformed need a waiver); so does the
    // worker, rather than asking the BaRS team to configure a service CareConnect cannot book.
    await deps.store.transition(record.id, 'failed', {
      event: 'failed',
      actor: ACTORS.worker,
      reason: `not sent: CareConnect checked again and found ${finding.status}: ${finding.detail} Fix the DoS scheduling endpoint and submit again, or submit with a careConnectWaiver.`,
      details: { careConnect: finding.status, attempt: attempt.number },
    });
    throw new CareConnectRefusedError(`CareConnect ${finding.status}`);
  }
  const kept = record.warnings.filter(
    (w) => w !== record.careConnect.detail && !w.startsWith(UNVERIFIED_WARNING),
  );
  let warnings = kept;
  if (needsRecheck(finding)) {
    const tries = `${attempt.number} attempt${attempt.number === 1 ? '' : 's'}`;
    warnings = [
      ...kept,
      `${UNVERIFIED_WARNING}: the directory was still unreachable after ${tries}.`,
    ];
  } else if (finding.status === 'unverified') {
    // Final: the finding says why, in its own words.
    warnings = [...kept, finding.detail];
  }
  const updated = await deps.store.note(
    record.id,
    {
      event: 'recheck',
      reason: `CareConnect checked again: ${finding.detail}`,
      actor: ACTORS.worker,
    },
    { careConnect: finding, warnings },
  );
  return updated ?? record;
}

async function deliver(record: RequestRecord, attempt: Attempt, deps: SendDeps) {
  const email = configurationEmailFor(record, deps.mail, deps.renderer, deps.emailLinks?.(record));
  const receipt = await deps.mailer.send(email);
  // The BaRS mailbox has it, so `sent` even when the requester's copy was refused; the history
  // says which copy and the server's reply, so someone can tell the requester another way.
  const entry = {
    event: 'sent',
    actor: ACTORS.worker,
    reason: withRefusedCopies(`accepted by the mail server: ${receipt.response}`, receipt),
    details: {
      messageId: receipt.messageId,
      response: receipt.response,
      template: email.headers['X-Ecat-Template'] ?? '',
      attempt: attempt.number,
      ...(receipt.location ? { location: receipt.location } : {}),
      ...(receipt.refusedCopies.length > 0
        ? { refusedCopies: refusedAddresses(receipt.refusedCopies) }
        : {}),
    },
  };
  const moved = await deps.store.transition(record.id, 'sent', entry);
  // Cancelled while the email was on its way: keep the fact that it went.
  if (!moved.ok) await deps.store.note(record.id, entry);
  // The job's return value is what the dashboard shows for it; the record's history is the full
  // story. (No job.log lines: each is a round trip every email would wait on.)
  return withRefusedCopies(
    `attempt ${attempt.number}: sent ${email.messageId}: ${receipt.response}`,
    receipt,
  );
}

/** "15 s", "60 min", "2 h": how long a deferral waits, for the history. */
function duration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function deferralReason(error: MailDeferredError): string {
  return error.scope === 'quota'
    ? `${error.message}: every email waits ${duration(error.waitMs)}, then this one is tried again; no attempt spent`
    : `${error.message}: tried again in ${duration(error.waitMs)}; no attempt spent`;
}

/** The To recipients a failure was about, when the server refused them one by one. */
function refusedDetails(refused: readonly RefusedRecipient[]): Record<string, string> {
  return refused.length > 0 ? { refused: refusedAddresses(refused) } : {};
}

/** Facts about a failed attempt worth keeping in the history. */
function failureDetails(error: unknown, attempt: Attempt): HistoryEntry['details'] {
  if (error instanceof TemporaryMailError) {
    return {
      code: error.code ?? '',
      responseCode: error.responseCode ?? 0,
      attempt: attempt.number,
      ...refusedDetails(error.refused),
    };
  }
  return { error: error instanceof Error ? error.name : 'unknown', attempt: attempt.number };
}

export async function sendRequestEmail(
  job: RunningJob<SendJobData>,
  deps: SendDeps,
): Promise<string> {
  const attempt = attemptOf(job);
  let record = await deps.store.get(job.data.requestId);
  if (!record) {
    deps.log.warn({ requestId: job.data.requestId }, 'send job for a request that is not there');
    return 'no such request';
  }
  if (record.status !== 'queued') {
    await job.log(`skipped: the request is ${record.status}`);
    return `skipped (${record.status})`;
  }
  try {
    // Not a final `unverified` (CONTRACT.md): that one is sent as it is, without asking again.
    if (needsRecheck(record.careConnect)) {
      record = await recheckCareConnect(record, attempt, deps);
    }
    return await deliver(record, attempt, deps);
  } catch (error) {
    if (error instanceof CareConnectRefusedError) throw error; // recorded already
    if (error instanceof MailDeferredError) {
      await deps.store.note(record.id, {
        event: 'deferred',
        actor: ACTORS.worker,
        reason: deferralReason(error),
        details: { response: error.response, attempt: attempt.number },
      });
      // The worker's edge delays the job without spending the attempt (and pauses all mail).
      throw error;
    }
    if (error instanceof PermanentMailError) {
      await deps.store.transition(record.id, 'failed', {
        event: 'failed',
        actor: ACTORS.worker,
        // The message names the refused address when the server refused the BaRS mailbox.
        reason: error.message,
        details: {
          responseCode: error.responseCode ?? 0,
          response: error.response,
          attempt: attempt.number,
          ...refusedDetails(error.refused),
        },
      });
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (attempt.last) {
      await deps.store.transition(record.id, 'failed', {
        event: 'failed',
        actor: ACTORS.worker,
        reason: `retries exhausted after ${attempt.number} attempts: ${message}`,
        details: failureDetails(error, attempt),
      });
    } else if (!(error instanceof StillUnverifiedError)) {
      await deps.store.note(record.id, {
        event: 'retry',
        actor: ACTORS.worker,
        reason: `attempt ${attempt.number} failed, will retry: ${message}`,
        details: failureDetails(error, attempt),
      });
    }
    // The worker's edge (adapters/queues/workers.ts) turns this into a retry or a final failure.
    throw error;
  }
}
