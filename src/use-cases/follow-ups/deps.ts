// What the follow-up jobs touch, handed in by the wiring (STYLE.md: dependencies passed in).
import type { Logger } from 'pino';
import type { MailSettings } from '../../domain/email/follow-up-emails.ts';
import type { TemplateRenderer } from '../../domain/email/message.ts';
import type { ChaserSettings } from '../../domain/follow-up-schedule.ts';
import type { WorkingCalendar } from '../../domain/working-days.ts';
import type { Catalogue } from '../../ports/catalogue.ts';
import type { FollowUpState } from '../../ports/follow-up-state.ts';
import type { FollowUpJobs } from '../../ports/jobs.ts';
import type { Mailer } from '../../ports/mailer.ts';
import type { RequestStore } from '../../ports/request-store.ts';
import type { RateLimiter } from '../rate-limiter.ts';

export interface FollowUpDeps {
  store: RequestStore;
  jobs: FollowUpJobs;
  /** Sweep locks and the catalogue check's pacing, shared by every worker. */
  state: FollowUpState;
  mailer: Mailer;
  renderer: TemplateRenderer;
  mail: MailSettings;
  /** Where people reach ecat's pages (PUBLIC_URL): a notice links to the request's page there. */
  publicUrl: string;
  calendar: WorkingCalendar;
  chaser: ChaserSettings;
  /** Proxy clients by environment; empty when no CATALOGUE_URL_<ENV> is set. */
  catalogue: Catalogue;
  /** Paces the proxy requests, every worker's together (CATALOGUE_RATE_LIMIT). */
  catalogueLimiter: RateLimiter;
  now: () => Date;
  log: Logger;
}

/** A sweep's lock lasts this long at most: a worker that dies mid-sweep frees it by then. */
export const SWEEP_LOCK_MS = 10 * 60_000;
