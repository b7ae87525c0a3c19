// Sending: by SMTP (smtp-mailer.ts), or, with no SMTP server configured, an .eml file per email in
// the outbox directory. Failures leave here classified (ports/mailer.ts).
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { OutgoingEmail } from '../../domain/email/message.ts';
import type { Mailer } from '../../ports/mailer.ts';
import type { MailGate } from '../redis/mail-gate/mail-gate.ts';
import { toMailOptions } from './mail-options.ts';
import {
  createSmtpMailer,
  DEFAULT_DEFERRAL,
  defaultTls,
  loginFromUrl,
  type SmtpSettings,
} from './smtp-mailer.ts';

const rawTransport = nodemailer.createTransport({ streamTransport: true, buffer: true });

/** The whole MIME message, as SMTP would carry it: for the outbox and `ecat preview --raw`. */
export async function renderRawMessage(email: OutgoingEmail): Promise<string> {
  const info = await rawTransport.sendMail(toMailOptions(email));
  return (info.message as Buffer).toString('utf8');
}

function createOutboxMailer(outboxDir: string, now: () => Date): Mailer {
  return {
    kind: 'outbox',
    async send(email) {
      const raw = await renderRawMessage(email);
      await mkdir(outboxDir, { recursive: true });
      const requestId = email.headers['X-Ecat-Request-Id'] ?? 'email';
      const stamp = now().toISOString().replace(/[:.]/g, '-');
      const location = join(outboxDir, `${stamp}-${requestId}.eml`);
      // Written under a temporary name first, so a reader never sees half a message.
      const partial = `${location}.partial`;
      await writeFile(partial, raw, 'utf8');
      await rename(partial, location);
      return {
        messageId: email.messageId,
        response: `written to ${location}`,
        location,
        refusedCopies: [],
      };
    },
    async close() {},
  };
}

export function createMailer(options: {
  smtpUrl?: string;
  outboxDir: string;
  now?: () => Date;
  /** TLS, login and deferral delays; by default from the URL (smtp-mailer.ts). */
  smtp?: Partial<Omit<SmtpSettings, 'url'>>;
  /** Connections and rate across every worker; without one, each send just goes. */
  gate?: MailGate;
}): Mailer {
  if (!options.smtpUrl)
    return createOutboxMailer(options.outboxDir, options.now ?? (() => new Date()));
  const { smtpUrl } = options;
  return createSmtpMailer(
    {
      url: smtpUrl,
      tls: defaultTls(new URL(smtpUrl).hostname),
      login: loginFromUrl(smtpUrl),
      deferral: DEFAULT_DEFERRAL,
      ...options.smtp,
    },
    options.gate,
  );
}
