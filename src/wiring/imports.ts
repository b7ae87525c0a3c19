// The imports of files uploaded on the web page, as the worker runs them (use-cases/import/
// import-upload.ts over the Redis-kept uploads), and the mail limits an import's summary forecasts
// its emails from, for the command line's import too.
import type { Logger } from 'pino';
import type { MailLimitsForForecast } from '../domain/mail-forecast.ts';
import { createImports } from '../adapters/redis/imports.ts';
import type { ImportWorkerHandlers } from '../adapters/queues/import-queue.ts';
import { importFailed, importUpload } from '../use-cases/import/import-upload.ts';
import type { Config } from './config.ts';
import type { Runtime } from './runtime.ts';

/** The limits to forecast from; none when emails go to the outbox, which has no rate. */
export function importMailLimits(config: Config): MailLimitsForForecast | undefined {
  const { mail } = config;
  if (!mail.smtpUrl) return undefined;
  return { ...mail.rate, dailyRecipients: mail.dailyRecipients };
}

export function importHandlers(
  runtime: Pick<Runtime, 'config' | 'redis' | 'intakeDeps'>,
  log: Logger,
): ImportWorkerHandlers {
  const imports = createImports(runtime.redis, runtime.config.queuePrefix);
  const deps = {
    imports,
    intake: runtime.intakeDeps('web import'),
    mail: importMailLimits(runtime.config),
    log,
  };
  return {
    run: (job) => importUpload(job, deps),
    failed: (id, reason) => importFailed(imports, id, reason),
  };
}
