// The composition root: builds every adapter from the configuration and hands them in.
// Nothing below this file reads configuration or chooses an adapter by itself.
import { readFile } from 'node:fs/promises';
import { NO_CREDENTIALS, type ApimCredentials } from '../adapters/apim-credentials.ts';
import type { AssessDeps } from '../use-cases/assess.ts';
import type { Config } from './config.ts';
import { calendarFromFeed, type WorkingCalendar } from '../domain/working-days.ts';
import { createTemplateRenderer } from '../adapters/mail/nunjucks-renderer.ts';
import type { TemplateRenderer } from '../domain/email/message.ts';
import { apimCredentialsFromConfig } from './apim-credentials.ts';
import { createDirectory } from './directory.ts';
import { ConfigError } from '../domain/errors.ts';
import { packagePath } from '../adapters/package-files.ts';

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export async function loadCalendar(file: string): Promise<WorkingCalendar> {
  let feed: unknown;
  try {
    feed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read bank holidays from ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return calendarFromFeed(feed);
}

/** What assessing a request and rendering its email need: no Redis, no SMTP. */
export interface Foundation extends AssessDeps {
  config: Config;
  renderer: TemplateRenderer;
  /** For the DoS Search API and the BaRS proxy; none when neither is configured. */
  apim: ApimCredentials;
}

/** Read (and a half-set signed-JWT flow refused) only when some API URL will need them. */
function apimCredentialsFor(config: Config, now: Clock): ApimCredentials {
  const apiUrls = [
    ...Object.values(config.directory.urls),
    ...Object.values(config.catalogue.urls),
  ];
  return apiUrls.some(Boolean) ? apimCredentialsFromConfig(config.apim, now) : NO_CREDENTIALS;
}

/** A file named by configuration that cannot be used stops the start with one line (exit 2). */
function asConfigError(variable: string) {
  return (error: unknown): never => {
    throw new ConfigError(`${variable}: ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
    });
  };
}

export async function createFoundation(
  config: Config,
  now: Clock = systemClock,
): Promise<Foundation> {
  const apim = apimCredentialsFor(config, now);
  // DoS Search refusals (400 diagnostics, 401/403) go to the log on stderr, as runtime.ts's do.
  // The snapshot logs nothing: without a DoS URL the logger (pino) is not even loaded.
  const log = Object.values(config.directory.urls).some(Boolean)
    ? (await import('../adapters/logging.ts')).createLogger(config.logLevel, {
        environment: config.environment,
      })
    : undefined;
  const [calendar, directory] = await Promise.all([
    loadCalendar(config.bankHolidaysFile).catch(asConfigError('BANK_HOLIDAYS_FILE')),
    createDirectory(config.directory, apim, log).catch(asConfigError('DIRECTORY_FILE')),
  ]);
  return {
    config,
    apim,
    calendar,
    directory,
    thresholds: config.urgency,
    now,
    renderer: createTemplateRenderer(packagePath('templates')),
  };
}
