// The catalogue check (a repeating job): asks the BaRS proxy about each outstanding request whose
// email has gone, each at its own pace (domain/follow-up-schedule.ts). A CapabilityStatement makes it `configured`
// (by: catalogue) and queues the "you are live" notice; 404 PROXY_NOT_FOUND changes nothing; 429
// pauses that environment for Retry-After; any other failure is logged and asked again later.
import { randomUUID } from 'node:crypto';
import { londonDate } from '../../domain/dates.ts';
import { ACTORS } from '../../domain/people/person.ts';
import type { RequestRecord } from '../../domain/request/record.ts';
import { sendNotice } from './notice.ts';
import { markConfigured } from '../request-actions.ts';
import { SWEEP_LOCK_MS, type FollowUpDeps } from './deps.ts';
import { CATALOGUE_CHECK_JOB, type NoticeJobData, type RunningJob } from '../../ports/jobs.ts';
import { catalogueCheckIntervalMs, isCatalogueCheckDue } from '../../domain/follow-up-schedule.ts';
import { renderConfiguredEmail } from '../../domain/email/follow-up-emails.ts';
import type { CatalogueAnswer, CatalogueClient } from '../../ports/catalogue.ts';

/** Bounds one sweep's work; whatever is left is due again at the next sweep a minute later. */
export const MAX_CHECKS_PER_SWEEP = 60;

export type CatalogueSweepResult = Record<CatalogueAnswer['kind'] | 'skipped', string[]>;

/** Outstanding requests whose email has gone (the BaRS team cannot act before), by environment. */
async function candidates(deps: FollowUpDeps): Promise<RequestRecord[]> {
  const found: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.list('outstanding', { limit: 500, cursor });
    found.push(
      ...page.items.filter(
        (record) =>
          (record.status === 'sent' || record.status === 'failed') &&
          deps.catalogue[record.request.environment] !== undefined,
      ),
    );
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return found;
}

async function confirm(
  record: RequestRecord,
  client: CatalogueClient,
  answer: Extract<CatalogueAnswer, { kind: 'live' }>,
  deps: FollowUpDeps,
): Promise<boolean> {
  const moved = await markConfigured({ store: deps.store, followUpJobs: deps.jobs }, record.id, {
    event: 'configured',
    actor: ACTORS.proxy,
    reason: `confirmed in the BaRS Endpoint Catalogue (${client.environment}): ${answer.detail}`,
    details: { by: 'catalogue', environment: client.environment },
  });
  return moved.ok;
}

export async function sweepCatalogue(
  deps: FollowUpDeps,
): Promise<CatalogueSweepResult | undefined> {
  const { state } = deps;
  return state.withSweepLock(CATALOGUE_CHECK_JOB, SWEEP_LOCK_MS, async () => {
    const result: CatalogueSweepResult = {
      live: [],
      absent: [],
      throttled: [],
      unavailable: [],
      skipped: [],
    };
    const now = deps.now();
    const today = londonDate(now);
    const checked = await state.catalogueCheckTimes();
    const outstanding = await candidates(deps);
    // Requests confirmed or cancelled by other means leave their check time behind: drop it.
    const current = new Set(outstanding.map((record) => record.id));
    const gone = Object.keys(checked).filter((id) => !current.has(id));
    await state.forgetCatalogueChecks(gone);
    const due = outstanding
      .filter((record) =>
        isCatalogueCheckDue(
          checked[record.id],
          catalogueCheckIntervalMs(record.earliestTestDate, today, deps.calendar),
          now,
        ),
      )
      // Nearest testing first: they matter most if a sweep cannot ask about everyone.
      .sort((a, b) => (a.earliestTestDate ?? '9999').localeCompare(b.earliestTestDate ?? '9999'))
      .slice(0, MAX_CHECKS_PER_SWEEP);

    const stopped = new Set<string>();
    for (const environment of Object.keys(deps.catalogue)) {
      if (await state.isCataloguePaused(environment)) stopped.add(environment);
    }
    const correlationId = randomUUID();
    for (const record of due) {
      const environment = record.request.environment;
      const client = deps.catalogue[environment];
      if (!client || stopped.has(environment)) {
        result.skipped.push(record.id);
        continue;
      }
      const answer = await deps.catalogueLimiter.run(() =>
        client.lookup(record.request.dosServiceId, correlationId),
      );
      result[answer.kind].push(record.id);
      if (answer.kind === 'throttled') {
        await state.pauseCatalogue(environment, answer.retryAfterMs);
        stopped.add(environment);
        deps.log.warn(
          `BaRS proxy (${environment}): ${answer.detail}; pausing ${answer.retryAfterMs} ms`,
        );
        continue;
      }
      await state.markCatalogueChecked(record.id, now);
      if (answer.kind === 'live') {
        if (await confirm(record, client, answer, deps)) {
          await state.forgetCatalogueChecks([record.id]);
        }
      } else if (answer.kind === 'unavailable') {
        deps.log.warn(
          { requestId: record.id, correlationId },
          `BaRS proxy (${environment}) check failed, will ask again later: ${answer.detail}`,
        );
        // The proxy itself is out of reach: asking about the others now would fail the same way.
        if (!answer.reachable) stopped.add(environment);
      }
    }
    return result;
  });
}

/**
 * The "you are live" email, to the requester alone, once per request: worded for how it became
 * configured (the proxy found it, or the BaRS team confirmed it by hand).
 */
export function runConfiguredNotice(
  job: RunningJob<NoticeJobData>,
  deps: FollowUpDeps,
): Promise<string> {
  return sendNotice(job, deps, {
    event: 'configured-notice',
    applies: (record) => record.status === 'configured',
    render(record) {
      const confirmedAt = [...record.history].reverse().find((e) => e.event === 'configured');
      const at = new Date(confirmedAt?.at ?? record.updatedAt);
      const by = confirmedAt?.details?.by === 'catalogue' ? 'proxy' : 'hand';
      return renderConfiguredEmail(record, at, deps.mail, deps.renderer, by);
    },
    told: 'the requester was told the service is live in the catalogue',
  });
}
