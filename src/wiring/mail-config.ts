// The mail settings: where emails go (SMTP, or the outbox), TLS and the login, and the limits every
// worker shares (NHSmail: 3 connections, 30 emails a minute, 10,000 recipients a day).
import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import { emailAddress, optionalText, optionalUrl, wholeNumber, withDefault } from './env-fields.ts';

export const mailEnv = {
  SMTP_URL: optionalUrl(['smtp:', 'smtps:']),
  OUTBOX_DIR: withDefault('var/outbox'),
  MAIL_FROM: emailAddress('ecat <ecat@localhost>'),
  MAIL_TO: emailAddress('england.bookingandreferralstandard@nhs.net'),
  SMTP_TLS: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.enum(['required', 'off'], "must be 'required' or 'off'").optional(),
  ),
  SMTP_CA_FILE: optionalText,
  SMTP_OAUTH_TENANT: optionalText,
  SMTP_OAUTH_CLIENT_ID: optionalText,
  SMTP_OAUTH_CLIENT_SECRET: optionalText,
  SMTP_OAUTH_CERTIFICATE_FILE: optionalText,
  SMTP_OAUTH_PRIVATE_KEY_FILE: optionalText,
  SMTP_OAUTH_TOKEN_URL: optionalUrl(['https:', 'http:']),
  SMTP_OAUTH_SCOPE: withDefault('https://outlook.office365.com/.default'),
  MAIL_RATE_LIMIT: wholeNumber(30, 0, 100_000),
  MAIL_RATE_WINDOW_SECONDS: wholeNumber(60, 1, 86_400),
  MAIL_MAX_CONNECTIONS: wholeNumber(3, 1, 100),
  MAIL_BUSY_DELAY_SECONDS: wholeNumber(15, 1, 3600),
  MAIL_QUOTA_PAUSE_SECONDS: wholeNumber(3600, 1, 86_400),
  MAIL_DAILY_RECIPIENTS: wholeNumber(10_000, 1, 10_000_000),
};

type MailEnv = z.infer<z.ZodObject<typeof mailEnv>>;

/** Never printed with a configuration error. */
export const MAIL_SECRETS = ['SMTP_OAUTH_CLIENT_SECRET'];

/** SMTP AUTH XOAUTH2 with a token from the Microsoft identity platform (client credentials). */
export interface SmtpOAuthConfig {
  tokenUrl: string;
  clientId: string;
  scope: string;
  secret?: string;
  certificateFile?: string;
  privateKeyFile?: string;
}

export interface MailConfig {
  smtpUrl?: string;
  outboxDir: string;
  from: string;
  to: string;
  /** Unset: required unless the SMTP server is on loopback. */
  tls?: 'required' | 'off';
  caFile?: string;
  oauth?: SmtpOAuthConfig;
  /** Emails in any window, across every worker (0: no limit). */
  rate: { perWindow: number; windowMs: number };
  maxConnections: number;
  busyDelayMs: number;
  quotaPauseMs: number;
  /** The mailbox's daily recipient cap (NHSmail: 10,000), for the import's estimate. */
  dailyRecipients: number;
}

/**
 * XOAUTH2 is on once any SMTP_OAUTH_ setting is; then it needs the client id, the tenant (or a
 * token URL), an SMTP server, and one proof: a secret, or a certificate with its private key.
 */
function smtpOAuth(e: MailEnv): SmtpOAuthConfig | undefined {
  const given = [
    e.SMTP_OAUTH_TENANT,
    e.SMTP_OAUTH_CLIENT_ID,
    e.SMTP_OAUTH_CLIENT_SECRET,
    e.SMTP_OAUTH_CERTIFICATE_FILE,
    e.SMTP_OAUTH_PRIVATE_KEY_FILE,
    e.SMTP_OAUTH_TOKEN_URL,
  ].some((value) => value !== undefined);
  if (!given) return undefined;
  if (!e.SMTP_URL) throw new ConfigError('SMTP_OAUTH_ settings need SMTP_URL');
  if (!e.SMTP_OAUTH_CLIENT_ID)
    throw new ConfigError('SMTP_OAUTH_CLIENT_ID must be set for XOAUTH2');
  const tokenUrl =
    e.SMTP_OAUTH_TOKEN_URL ??
    (e.SMTP_OAUTH_TENANT
      ? `https://login.microsoftonline.com/${encodeURIComponent(e.SMTP_OAUTH_TENANT)}/oauth2/v2.0/token`
      : undefined);
  if (!tokenUrl)
    throw new ConfigError('SMTP_OAUTH_TENANT (or SMTP_OAUTH_TOKEN_URL) must be set for XOAUTH2');
  const certificate =
    e.SMTP_OAUTH_CERTIFICATE_FILE !== undefined || e.SMTP_OAUTH_PRIVATE_KEY_FILE !== undefined;
  if (e.SMTP_OAUTH_CLIENT_SECRET !== undefined && certificate) {
    throw new ConfigError(
      'SMTP_OAUTH_CLIENT_SECRET and SMTP_OAUTH_CERTIFICATE_FILE are two ways to prove the client: set one',
    );
  }
  if (certificate && (!e.SMTP_OAUTH_CERTIFICATE_FILE || !e.SMTP_OAUTH_PRIVATE_KEY_FILE)) {
    throw new ConfigError(
      'SMTP_OAUTH_CERTIFICATE_FILE and SMTP_OAUTH_PRIVATE_KEY_FILE go together',
    );
  }
  if (e.SMTP_OAUTH_CLIENT_SECRET === undefined && !certificate) {
    throw new ConfigError(
      'XOAUTH2 needs SMTP_OAUTH_CLIENT_SECRET, or SMTP_OAUTH_CERTIFICATE_FILE with SMTP_OAUTH_PRIVATE_KEY_FILE',
    );
  }
  return {
    tokenUrl,
    clientId: e.SMTP_OAUTH_CLIENT_ID,
    scope: e.SMTP_OAUTH_SCOPE,
    secret: e.SMTP_OAUTH_CLIENT_SECRET,
    certificateFile: e.SMTP_OAUTH_CERTIFICATE_FILE,
    privateKeyFile: e.SMTP_OAUTH_PRIVATE_KEY_FILE,
  };
}

export function mailConfig(e: MailEnv): MailConfig {
  if (e.SMTP_TLS === 'off' && e.SMTP_URL?.startsWith('smtps:')) {
    throw new ConfigError(
      'SMTP_TLS=off cannot be used with an smtps:// SMTP_URL (TLS from the start)',
    );
  }
  return {
    smtpUrl: e.SMTP_URL,
    outboxDir: e.OUTBOX_DIR,
    from: e.MAIL_FROM,
    to: e.MAIL_TO,
    tls: e.SMTP_TLS,
    caFile: e.SMTP_CA_FILE,
    oauth: smtpOAuth(e),
    rate: { perWindow: e.MAIL_RATE_LIMIT, windowMs: e.MAIL_RATE_WINDOW_SECONDS * 1000 },
    maxConnections: e.MAIL_MAX_CONNECTIONS,
    busyDelayMs: e.MAIL_BUSY_DELAY_SECONDS * 1000,
    quotaPauseMs: e.MAIL_QUOTA_PAUSE_SECONDS * 1000,
    dailyRecipients: e.MAIL_DAILY_RECIPIENTS,
  };
}
