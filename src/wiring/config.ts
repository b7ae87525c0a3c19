// Configuration: every environment variable ecat reads, read once at start and validated here.
// Nothing else in the code reads process.env (STYLE.md).
import { z } from 'zod';
import { packagePath } from '../adapters/package-files.ts';
import { optionalText, optionalUrl, wholeNumber, withDefault } from './env-fields.ts';
import { mailConfig, mailEnv, MAIL_SECRETS, type MailConfig } from './mail-config.ts';
import { redisEnv, redisSettings, REDIS_SECRETS } from './redis-config.ts';
import type { RedisSettings } from '../adapters/redis/settings.ts';
import { peopleConfig, peopleEnv, PEOPLE_SECRETS, type PeopleConfig } from './people-config.ts';
import { withoutCredentials } from '../adapters/without-credentials.ts';
import { ConfigError } from '../domain/errors.ts';

/** A link's base: `${PUBLIC_URL}/requests/<id>` must stay a plain address under it. */
function isBaseUrl(text: string): boolean {
  // Text that is no URL at all is left to the URL check, whose message says so.
  if (!URL.canParse(text)) return true;
  const url = new URL(text);
  return url.username === '' && url.password === '' && !/[?#]/.test(text);
}

/** 20 MB: tens of thousands of rows, far past any one batch of configuration requests. */
const DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024;

const envSchema = z.object({
  ...redisEnv,
  // In braces, a Redis Cluster hash tag: every key then lands in one slot (redis-config.ts).
  QUEUE_PREFIX: withDefault('ecat').refine(
    (text) => /^([A-Za-z0-9_-]+|\{[A-Za-z0-9_-]+\})$/.test(text),
    'must be letters, digits, _ or -, or those in braces ({ecat}) for Redis Cluster',
  ),
  ...mailEnv,
  ...peopleEnv,
  DIRECTORY_URL_INT: optionalUrl(['https:', 'http:']),
  DIRECTORY_URL_PROD: optionalUrl(['https:', 'http:']),
  DIRECTORY_FILE: withDefault(packagePath('config/directory.json')),
  DIRECTORY_TIMEOUT_MS: wholeNumber(5000, 100, 60_000),
  // Held across every process through Redis: DoS Search allows 10 a second (DOMAIN.md).
  DIRECTORY_RATE_LIMIT: wholeNumber(10, 1, 1000),
  CATALOGUE_URL_INT: optionalUrl(['https:', 'http:']),
  CATALOGUE_URL_PROD: optionalUrl(['https:', 'http:']),
  CATALOGUE_RATE_LIMIT: wholeNumber(5, 1, 1000),
  APIM_ACCESS_TOKEN: optionalText,
  APIM_API_KEY: optionalText,
  APIM_PRIVATE_KEY_FILE: optionalText,
  APIM_KEY_ID: optionalText,
  APIM_TOKEN_URL: optionalUrl(['https:', 'http:']),
  BANK_HOLIDAYS_FILE: withDefault(packagePath('config/bank-holidays.json')),
  URGENT_MAX_WORKING_DAYS: wholeNumber(5, 0, 100),
  HIGH_MAX_WORKING_DAYS: wholeNumber(15, 0, 365),
  MIN_LEAD_WORKING_DAYS: optionalText,
  CHASER_WORKING_DAYS_URGENT: wholeNumber(3, 0, 60),
  CHASER_WORKING_DAYS_ROUTINE: wholeNumber(5, 0, 60),
  WORKER_CONCURRENCY: wholeNumber(4, 1, 64),
  // `ecat worker`'s own port for probes and Prometheus (not the web's PORT: both may share a host).
  WORKER_PORT: wholeNumber(3001, 0, 65_535),
  // A job whose worker vanished, or whose lock a Redis failover lost, runs again after this.
  WORKER_LOCK_SECONDS: wholeNumber(30, 5, 600),
  // The upload is held in memory by the server and in Redis until imported: 100 MB at most.
  IMPORT_MAX_BYTES: wholeNumber(DEFAULT_IMPORT_MAX_BYTES, 1, 100 * 1024 * 1024),
  PORT: wholeNumber(3000, 0, 65_535),
  HOST: optionalText,
  PUBLIC_URL: optionalUrl(['https:', 'http:']).refine(
    (text) => text === undefined || isBaseUrl(text),
    'must have no user, password, query or fragment: emails link to pages under it',
  ),
  API_TOKEN: optionalText,
  ADMIN_PASSWORD: optionalText,
  METRICS_TOKEN: optionalText,
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(10_000, 1000, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(30_000, 1000, 600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(5000, 1000, 600_000),
  HTTP_MAX_CONNECTIONS: wholeNumber(256, 1, 100_000),
  API_RATE_LIMIT_PER_MINUTE: wholeNumber(120, 1, 1_000_000),
  FORM_RATE_LIMIT_PER_MINUTE: wholeNumber(60, 1, 1_000_000),
  NODE_ENV: optionalText,
  LOG_LEVEL: z
    .preprocess(
      (value) => (value === undefined || value === '' ? 'info' : value),
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .optional(),
});

/** Every variable ecat knows: .env.example names each one (test/env-example.test.ts). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

import type { Environment } from '../domain/request/schema.ts';

export interface Config {
  redis: RedisSettings;
  queuePrefix: string;
  mail: MailConfig;
  directory: {
    urls: Partial<Record<Environment, string>>;
    snapshotFile: string;
    timeoutMs: number;
  };
  catalogue: { urls: Partial<Record<Environment, string>> };
  /** API Management credentials, for the DoS Search API and the BaRS proxy alike. */
  apim: {
    accessToken?: string;
    apiKey?: string;
    privateKeyFile?: string;
    keyId?: string;
    tokenUrl?: string;
  };
  bankHolidaysFile: string;
  urgency: {
    urgentMaxWorkingDays: number;
    highMaxWorkingDays: number;
    /** The lead-time warning's threshold (MIN_LEAD_WORKING_DAYS, default the urgent one). */
    minLeadWorkingDays: number;
  };
  chaser: { workingDaysBeforeUrgent: number; workingDaysBeforeRoutine: number };
  worker: {
    concurrency: number;
    /** `ecat worker` answers /healthz, /readyz and /metrics here (the web server's rules). */
    port: number;
    /** A job's lock, and how often locks are checked: a job left without one runs again. */
    lockMs: number;
  };
  /** The largest CSV the upload page takes (IMPORT_MAX_BYTES). */
  imports: { maxBytes: number };
  http: {
    port: number;
    host?: string;
    /** Where people reach the pages (PUBLIC_URL), with no trailing slash: emails link under it. */
    publicUrl: string;
    /** False when PUBLIC_URL is unset: signed links are then not put in emails. */
    publicUrlConfigured: boolean;
    apiToken?: string;
    adminPassword?: string;
    metricsToken?: string;
    /** Slow or idle clients are cut off at these limits, so they cannot hold the server. */
    limits: {
      headersTimeoutMs: number;
      requestTimeoutMs: number;
      keepAliveTimeoutMs: number;
      maxConnections: number;
    };
  };
  people: PeopleConfig;
  /** Kept in Redis, so they hold across every process together. */
  rateLimits: {
    /** POST /api/requests per minute from one client address. */
    apiPerMinute: number;
    /** Posts of the request form per minute from one client address. */
    formPerMinute: number;
    /** DoS Search lookups a second, per environment. */
    directoryPerSecond: number;
    /** BaRS proxy catalogue checks a second. */
    cataloguePerSecond: number;
  };
  logLevel: string;
  /** NODE_ENV=production: a service must then be given REDIS_URL (no private Redis). */
  production: boolean;
  /** NODE_ENV, or `development`: named in every log line. */
  environment: string;
}

/** The address `npm start` serves on (PORT's default): right on the machine that runs it. */
const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

// Secrets are never printed (issue: a bad REDIS_URL was echoed with its password).
const SECRET_VARIABLES = new Set([
  'API_TOKEN',
  'ADMIN_PASSWORD',
  'METRICS_TOKEN',
  'APIM_ACCESS_TOKEN',
  'APIM_API_KEY',
  ...MAIL_SECRETS,
  ...REDIS_SECRETS,
  ...PEOPLE_SECRETS,
]);

/** The rejected value as an error may show it: never a secret, never a URL's credentials. */
function shownValue(variable: string, value: string | undefined): string {
  if (value === undefined || SECRET_VARIABLES.has(variable)) return '';
  return ` (got '${/_URL(_|$)/.test(variable) ? withoutCredentials(value) : value}')`;
}

/** MIN_LEAD_WORKING_DAYS, or the urgent threshold when unset (DOMAIN.md "Lead time"). */
function minLead(value: string | undefined, urgent: number): number {
  if (value === undefined) return urgent;
  if (!/^\d+$/.test(value) || Number(value) > 100) {
    throw new ConfigError(
      `MIN_LEAD_WORKING_DAYS must be a whole number from 0 to 100 (got '${value}')`,
    );
  }
  return Number(value);
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    const shown = shownValue(variable, env[variable]);
    throw new ConfigError(`${variable} ${issue?.message ?? 'is not valid'}${shown}`);
  }
  const e = parsed.data;
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      `HTTP_HEADERS_TIMEOUT_MS must be at most HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`,
    );
  }
  if (e.HIGH_MAX_WORKING_DAYS < e.URGENT_MAX_WORKING_DAYS) {
    throw new ConfigError(
      `HIGH_MAX_WORKING_DAYS must be at least URGENT_MAX_WORKING_DAYS (${e.URGENT_MAX_WORKING_DAYS})`,
    );
  }
  const publicUrl = (e.PUBLIC_URL ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
  return {
    redis: redisSettings(e, e.QUEUE_PREFIX),
    queuePrefix: e.QUEUE_PREFIX,
    mail: mailConfig(e),
    directory: {
      urls: { INT: e.DIRECTORY_URL_INT, PROD: e.DIRECTORY_URL_PROD },
      snapshotFile: e.DIRECTORY_FILE,
      timeoutMs: e.DIRECTORY_TIMEOUT_MS,
    },
    catalogue: { urls: { INT: e.CATALOGUE_URL_INT, PROD: e.CATALOGUE_URL_PROD } },
    apim: {
      accessToken: e.APIM_ACCESS_TOKEN,
      apiKey: e.APIM_API_KEY,
      privateKeyFile: e.APIM_PRIVATE_KEY_FILE,
      keyId: e.APIM_KEY_ID,
      tokenUrl: e.APIM_TOKEN_URL,
    },
    bankHolidaysFile: e.BANK_HOLIDAYS_FILE,
    urgency: {
      urgentMaxWorkingDays: e.URGENT_MAX_WORKING_DAYS,
      highMaxWorkingDays: e.HIGH_MAX_WORKING_DAYS,
      minLeadWorkingDays: minLead(e.MIN_LEAD_WORKING_DAYS, e.URGENT_MAX_WORKING_DAYS),
    },
    chaser: {
      workingDaysBeforeUrgent: e.CHASER_WORKING_DAYS_URGENT,
      workingDaysBeforeRoutine: e.CHASER_WORKING_DAYS_ROUTINE,
    },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      port: e.WORKER_PORT,
      lockMs: e.WORKER_LOCK_SECONDS * 1000,
    },
    imports: { maxBytes: e.IMPORT_MAX_BYTES },
    http: {
      port: e.PORT,
      host: e.HOST,
      publicUrl,
      publicUrlConfigured: e.PUBLIC_URL !== undefined,
      apiToken: e.API_TOKEN,
      adminPassword: e.ADMIN_PASSWORD,
      metricsToken: e.METRICS_TOKEN,
      limits: {
        headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
        maxConnections: e.HTTP_MAX_CONNECTIONS,
      },
    },
    people: peopleConfig(e, publicUrl),
    rateLimits: {
      apiPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      formPerMinute: e.FORM_RATE_LIMIT_PER_MINUTE,
      directoryPerSecond: e.DIRECTORY_RATE_LIMIT,
      cataloguePerSecond: e.CATALOGUE_RATE_LIMIT,
    },
    logLevel: e.LOG_LEVEL ?? 'info',
    production: e.NODE_ENV === 'production',
    environment: e.NODE_ENV ?? 'development',
  };
}
