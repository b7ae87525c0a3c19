// What the follow-up jobs touch, handed in by the runtime (STYLE.md: dependencies passed in).
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Catalogue } from '../../adapters/bars-proxy/create-catalogue.ts';
import type { MailSettings } from '../../adapters/mail/follow-up-emails.ts';
import type { TemplateRenderer } from '../../adapters/mail/render.ts';
import type { Mailer } from '../../adapters/mail/transport.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { Redis } from '../../adapters/redis/connection.ts';
import type { WorkingCalendar } from '../../domain/working-days.ts';
import type { RequestStore } from '../../adapters/redis/ledger/request-ledger.ts';
import type { ChaserSettings } from '../../domain/follow-up-schedule.ts';

export interface FollowUpDeps {
  store: RequestStore;
  queue: Queue;
  /** The command connection: sweep locks and the catalogue check's own state. */
  redis: Redis;
  /** QUEUE_PREFIX: our keys live beside the store's. */
  prefix: string;
  mailer: Mailer;
  renderer: TemplateRenderer;
  mail: MailSettings;
  calendar: WorkingCalendar;
  chaser: ChaserSettings;
  /** Proxy clients by environment; empty when no CATALOGUE_URL_<ENV> is set. */
  catalogue: Catalogue;
  /** Spaces the proxy requests of one catalogue sweep. */
  catalogueLimiter: RateLimiter;
  now: () => Date;
  log: Logger;
}

export const followUpKeys = (prefix: string) => ({
  lock: (sweep: string) => `${prefix}:followup:lock:${sweep}`,
  /** Hash: request id → when the proxy was last asked about it (ISO). */
  catalogueChecked: `${prefix}:catalogue:checked`,
  /** Set while the proxy of one environment has asked us to wait (429 Retry-After). */
  cataloguePaused: (environment: string) => `${prefix}:catalogue:paused:${environment}`,
});
