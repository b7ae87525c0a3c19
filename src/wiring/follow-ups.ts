// Builds the follow-up jobs' dependencies from a runtime and registers the repeating sweeps: the
// worker's side of closing the loop, wired in one place (runtime.ts calls this).
import type { Logger } from 'pino';
import { createRedisRateLimiter, paceKeys } from '../adapters/redis/rate-limiter.ts';
import type { Runtime } from './runtime.ts';
import type { FollowUpDeps } from '../use-cases/follow-ups/deps.ts';
import { followUpHandlers, type FollowUpHandlers } from '../use-cases/follow-ups/handlers.ts';
import { createFollowUpState } from '../adapters/redis/follow-up-state.ts';
import { ensureFollowUpSchedulers } from '../adapters/queues/follow-up-jobs.ts';
import type { Mailer } from '../ports/mailer.ts';
import { createCatalogue, describeCatalogue } from './catalogue.ts';

export interface FollowUps {
  deps: FollowUpDeps;
  handlers: FollowUpHandlers;
  /** Settles when the sweeps are registered (failures are logged, never thrown). */
  ready: Promise<void>;
}

export function createFollowUps(
  runtime: Pick<
    Runtime,
    'config' | 'foundation' | 'redis' | 'queue' | 'followUpQueue' | 'store' | 'followUpJobs'
  >,
  mailer: Mailer,
  log: Logger,
): FollowUps {
  const { config, foundation } = runtime;
  const catalogue = createCatalogue(config.catalogue, foundation.apim, foundation.now);
  const deps: FollowUpDeps = {
    store: runtime.store,
    jobs: runtime.followUpJobs,
    state: createFollowUpState(runtime.redis, config.queuePrefix),
    mailer,
    renderer: foundation.renderer,
    mail: { from: config.mail.from, to: config.mail.to },
    publicUrl: config.http.publicUrl,
    calendar: foundation.calendar,
    chaser: config.chaser,
    catalogue,
    // API-M's own limits are per application, so every worker's checks count against one pace.
    catalogueLimiter: createRedisRateLimiter(
      runtime.redis,
      paceKeys(config.queuePrefix).catalogue,
      // The proxy client's 10 s timeout, and an API-M token fetched before it.
      { perWindow: config.rateLimits.cataloguePerSecond, windowMs: 1000, leaseMs: 30_000 },
    ),
    now: foundation.now,
    log,
  };
  const ready = ensureFollowUpSchedulers(runtime.followUpQueue, {
    catalogue: Object.keys(catalogue).length > 0,
    mailQueue: runtime.queue,
  }).then(
    () => {
      log.info(`follow-ups: chasers, overdue sweep; ${describeCatalogue(catalogue)}`);
    },
    (error: unknown) => {
      log.error({ err: String(error) }, 'follow-up sweeps not registered');
    },
  );
  return { deps, handlers: followUpHandlers(deps), ready };
}
