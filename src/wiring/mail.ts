// The mailer a worker sends with, built from the mail settings: the outbox when no SMTP server is
// set; otherwise SMTP behind the mail gate (connections and rate across every worker), with TLS
// as configured and a password or XOAUTH2 login. Files (CA, certificate, key) are read here, once.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { microsoftTokens, type ClientProof } from '../adapters/mail/microsoft-identity.ts';
import {
  createSmtpMailer,
  defaultTls,
  loginFromUrl,
  type SmtpLogin,
  type SmtpSettings,
} from '../adapters/mail/smtp-mailer.ts';
import { createMailer } from '../adapters/mail/transport.ts';
import { createMailGate } from '../adapters/redis/mail-gate/mail-gate.ts';
import type { Redis } from '../adapters/redis/connection.ts';
import { ConfigError } from '../domain/errors.ts';
import type { Mailer } from '../ports/mailer.ts';
import type { MailConfig, SmtpOAuthConfig } from './mail-config.ts';

function readSetting(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${variable} cannot be read (${reason})`);
  }
}

function clientProof(oauth: SmtpOAuthConfig): ClientProof {
  if (oauth.secret !== undefined) return { kind: 'secret', secret: oauth.secret };
  const certificatePem = readSetting('SMTP_OAUTH_CERTIFICATE_FILE', oauth.certificateFile ?? '');
  const keyPem = readSetting('SMTP_OAUTH_PRIVATE_KEY_FILE', oauth.privateKeyFile ?? '');
  try {
    return { kind: 'certificate', certificatePem, privateKey: createPrivateKey(keyPem) };
  } catch {
    throw new ConfigError('SMTP_OAUTH_PRIVATE_KEY_FILE is not a PEM private key');
  }
}

/** The address part of "Name <a@b>" or "a@b". */
function addressOf(mailbox: string): string {
  return /<([^<>]+)>\s*$/.exec(mailbox)?.[1] ?? mailbox.trim();
}

function loginOf(mail: MailConfig, smtpUrl: string, now: () => Date): SmtpLogin {
  const fromUrl = loginFromUrl(smtpUrl);
  if (!mail.oauth) return fromUrl;
  const tokens = microsoftTokens(
    {
      tokenUrl: mail.oauth.tokenUrl,
      clientId: mail.oauth.clientId,
      scope: mail.oauth.scope,
      proof: clientProof(mail.oauth),
    },
    now,
  );
  // NHSmail sends only as the authenticated mailbox: the URL's user, else the From address.
  const user = fromUrl.kind === 'password' ? fromUrl.user : addressOf(mail.from);
  return { kind: 'oauth2', user, tokens };
}

export function smtpSettings(mail: MailConfig, smtpUrl: string, now: () => Date): SmtpSettings {
  const tls = mail.tls ?? defaultTls(new URL(smtpUrl).hostname);
  return {
    url: smtpUrl,
    tls,
    ...(mail.caFile ? { ca: readSetting('SMTP_CA_FILE', mail.caFile) } : {}),
    login: loginOf(mail, smtpUrl, now),
    deferral: { busyMs: mail.busyDelayMs, quotaMs: mail.quotaPauseMs },
  };
}

export interface WiredMailer {
  mailer: Mailer;
  /** For the start-up log: how mail goes, and what an operator should know. */
  description: string;
  warnings: string[];
}

export function createWiredMailer(
  mail: MailConfig,
  redis: Redis,
  prefix: string,
  now: () => Date,
): WiredMailer {
  if (!mail.smtpUrl) {
    return {
      mailer: createMailer({ outboxDir: mail.outboxDir, now }),
      description: `writing emails to ${mail.outboxDir}/`,
      warnings: [],
    };
  }
  const settings = smtpSettings(mail, mail.smtpUrl, now);
  const gate = createMailGate(redis, prefix, {
    maxConnections: mail.maxConnections,
    perWindow: mail.rate.perWindow,
    windowMs: mail.rate.windowMs,
  });
  const url = new URL(mail.smtpUrl);
  const rate =
    mail.rate.perWindow > 0
      ? `at most ${mail.rate.perWindow} emails in any ${mail.rate.windowMs / 1000} s`
      : 'no rate limit';
  const login =
    settings.login.kind === 'oauth2'
      ? `XOAUTH2 as ${settings.login.user}`
      : settings.login.kind === 'password'
        ? `password login as ${settings.login.user}`
        : 'no login';
  const warnings: string[] = [];
  if (settings.tls === 'off') {
    warnings.push(
      'SMTP_TLS=off: emails and any password cross the network in clear; for a development mail catcher only',
    );
  }
  if (/@localhost>?\s*$/i.test(mail.from)) {
    warnings.push(
      `MAIL_FROM is ${mail.from}: a real mail server (NHSmail) sends only as the mailbox it authenticated, so set MAIL_FROM to that address`,
    );
  }
  return {
    mailer: createSmtpMailer(settings, gate),
    description: `sending by SMTP to ${url.host} (TLS ${settings.tls}, ${login}); ${rate} and at most ${mail.maxConnections} connections open, across every worker`,
    warnings,
  };
}
