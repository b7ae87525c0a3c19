// The send job: turns a queued request into the email to the BaRS mailbox and records the outcome.
// SMTP failures arrive classified (email/errors.ts): permanent ones end the job at once
// (UnrecoverableError), temporary ones are retried by BullMQ with backoff.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { checkCareConnect } from '../careconnect/check.ts';
import type { Directory } from '../careconnect/directory.ts';
import { PermanentMailError, TemporaryMailError } from '../email/errors.ts';
import { renderConfigurationEmail, type TemplateRenderer } from '../email/render.ts';
import type { Mailer } from '../email/transport.ts';
import { londonDate } from '../request/dates.ts';
import type { RequestRecord } from '../requests/record.ts';
import type { RequestStore } from '../requests/store.ts';
import type { SendJobData } from './queue.ts';

export interface SendDeps {
  store: RequestStore;
  directory: Directory;
  mailer: Mailer;
  renderer: TemplateRenderer;
  mail: { from: string; to: string };
  log: Logger;
}

/** A directory still down on this attempt or later: send anyway, with that stated. */
const SEND_UNVERIFIED_FROM_ATTEMPT = 3;

async function recheckCareConnect(
  record: RequestRecord,
  attempt: number,
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
  if (finding.status === 'unverified' && attempt < SEND_UNVERIFIED_FROM_ATTEMPT) {
    await deps.store.note(record.id, { event: 'recheck', reason: finding.detail });
    throw new Error(`CareConnect still unverified: ${finding.detail}`);
  }
  const warnings =
    finding.status === 'unverified'
      ? [
          ...record.warnings.filter((w) => w !== record.careConnect.detail),
          `CareConnect could not be verified: the directory was still unreachable after ${attempt} attempts.`,
        ]
      : record.warnings.filter((w) => w !== record.careConnect.detail);
  const updated = await deps.store.note(
    record.id,
    { event: 'recheck', reason: `CareConnect checked again: ${finding.detail}` },
    { careConnect: finding, warnings },
  );
  return updated ?? record;
}

export async function sendRequestEmail(job: Job<SendJobData>, deps: SendDeps): Promise<string> {
  const attempt = job.attemptsMade + 1;
  let record = await deps.store.get(job.data.requestId);
  if (!record) return 'no such request';
  if (record.status !== 'queued') {
    await job.log(`skipped: the request is ${record.status}`);
    return `skipped (${record.status})`;
  }
  if (record.careConnect.status === 'unverified') {
    record = await recheckCareConnect(record, attempt, deps);
  }

  const email = renderConfigurationEmail(
    {
      id: record.id,
      messageId: record.messageId,
      assessed: record,
      today: londonDate(new Date(record.createdAt)),
    },
    deps.mail,
    deps.renderer,
  );
  await job.log(`attempt ${attempt}: sending ${email.messageId}`);
  try {
    const receipt = await deps.mailer.send(email);
    const entry = {
      event: 'sent',
      reason: `accepted by the mail server: ${receipt.response}`,
      details: {
        messageId: receipt.messageId,
        response: receipt.response,
        template: email.headers['X-Ecat-Template'] ?? '',
        attempt,
      },
    };
    const moved = await deps.store.transition(record.id, 'sent', entry);
    // Cancelled while the email was on its way: keep the fact that it went.
    if (!moved.ok) await deps.store.note(record.id, entry);
    await job.log(`sent: ${receipt.response}`);
    return receipt.response;
  } catch (error) {
    if (error instanceof PermanentMailError) {
      await deps.store.transition(record.id, 'failed', {
        event: 'failed',
        reason: `the mail server refused the email: ${error.response}`,
        details: { responseCode: error.responseCode ?? 0, response: error.response, attempt },
      });
      throw new UnrecoverableError(error.message);
    }
    if (error instanceof TemporaryMailError) {
      const lastAttempt = attempt >= (job.opts.attempts ?? 1);
      if (lastAttempt) {
        await deps.store.transition(record.id, 'failed', {
          event: 'failed',
          reason: `retries exhausted after ${attempt} attempts: ${error.message}`,
          details: { code: error.code ?? '', responseCode: error.responseCode ?? 0, attempt },
        });
      } else {
        await deps.store.note(record.id, {
          event: 'retry',
          reason: `attempt ${attempt} failed, will retry: ${error.message}`,
          details: { code: error.code ?? '', responseCode: error.responseCode ?? 0, attempt },
        });
      }
    }
    throw error;
  }
}
