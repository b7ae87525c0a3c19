// Sending by SMTP, one connection per email: it opens only once the mail gate (Redis, shared by
// every worker) has a slot for it, and the slot is freed when its socket has closed, so no more
// than the allowed connections are ever open together and no window holds more emails than the
// rate allows (NHSmail: 3 connections, 30 a minute). TLS is required unless the server is on
// loopback or TLS is turned off by name; the login is a password or an XOAUTH2 access token.
import { connect, type Socket } from 'node:net';
import nodemailer from 'nodemailer';
import type { Mailer } from '../../ports/mailer.ts';
import type { MailGate, MailSlot } from '../redis/mail-gate/mail-gate.ts';
import type { TokenCache } from '../token-cache.ts';
import { toMailOptions } from './mail-options.ts';
import {
  classifySmtpError,
  envelopeError,
  primaryRefusalError,
  refusalsOf,
  splitRefusals,
  type DeferralDelays,
  type RecipientFailure,
} from './smtp-errors.ts';

/**
 * `required`: STARTTLS (or smtps) with a verified certificate, or nothing is sent; `opportunistic`:
 * STARTTLS when offered (a loopback server); `off`: never, for a development catcher only.
 */
export type SmtpTls = 'required' | 'opportunistic' | 'off';

export type SmtpLogin =
  | { kind: 'none' }
  | { kind: 'password'; user: string; pass: string }
  /** SMTP AUTH XOAUTH2 as `user` (the mailbox), with a token the cache keeps fresh. */
  | { kind: 'oauth2'; user: string; tokens: TokenCache };

export interface SmtpSettings {
  /** smtp://host:port or smtps://host:port; a user and password in it are the password login. */
  url: string;
  tls: SmtpTls;
  /** PEM of a private certificate authority the server's certificate is checked against. */
  ca?: string;
  login: SmtpLogin;
  deferral: DeferralDelays;
}

/** A server on this machine may go without TLS; any other must offer it. */
export function defaultTls(host: string): SmtpTls {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i.test(host) ? 'opportunistic' : 'required';
}

export const DEFAULT_DEFERRAL: DeferralDelays = { busyMs: 15_000, quotaMs: 60 * 60_000 };

/** The password login an smtp://user:pass@host URL carries, if any. */
export function loginFromUrl(smtpUrl: string): SmtpLogin {
  const url = new URL(smtpUrl);
  return url.username
    ? {
        kind: 'password',
        user: decodeURIComponent(url.username),
        pass: decodeURIComponent(url.password),
      }
    : { kind: 'none' };
}

function tlsOptions(settings: SmtpSettings, implicit: boolean) {
  if (settings.tls === 'off') return { ignoreTLS: true };
  return {
    // With `requireTLS`, a server that offers no STARTTLS (or has it stripped on the way) gets no
    // password and no email: nodemailer stops before AUTH (LIBRARIES.md).
    ...(settings.tls === 'required' && !implicit ? { requireTLS: true } : {}),
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2' as const,
      ...(settings.ca ? { ca: settings.ca } : {}),
    },
  };
}

async function authOptions(login: SmtpLogin) {
  switch (login.kind) {
    case 'none':
      return {};
    case 'password':
      return { auth: { user: login.user, pass: login.pass } };
    case 'oauth2':
      return {
        auth: { type: 'OAuth2', user: login.user, accessToken: await login.tokens.token() },
      };
  }
}

export function createSmtpMailer(settings: SmtpSettings, gate?: MailGate): Mailer {
  const url = new URL(settings.url);
  const implicit = url.protocol === 'smtps:';
  const base = {
    host: url.hostname,
    port: Number(url.port || (implicit ? 465 : 25)),
    secure: implicit,
    ...tlsOptions(settings, implicit),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };

  /**
   * The connection of one email, opened by us so its gate slot is held until the socket has
   * closed (nodemailer then speaks SMTP over it: STARTTLS, login, the message).
   */
  function connectionFor(slot: MailSlot | undefined) {
    let opened = false;
    const getSocket = (
      _options: unknown,
      callback: (error: Error | null, socketOptions?: { connection: Socket }) => void,
    ) => {
      opened = true;
      const socket = connect({ host: base.host, port: base.port });
      socket.once('close', () => {
        slot?.release().catch(() => undefined);
      });
      const timer = setTimeout(() => {
        socket.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
      }, base.connectionTimeout);
      const failed = (error: Error) => {
        clearTimeout(timer);
        // nodemailer's own word for a connection that could not be made.
        callback(Object.assign(error, { code: 'ECONNECTION' }));
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        callback(null, { connection: socket });
      });
    };
    return { getSocket, opened: () => opened };
  }

  return {
    kind: 'smtp',
    async send(email) {
      const slot = await gate?.take();
      const connection = connectionFor(slot);
      let info: {
        messageId: string;
        response: string;
        rejected: unknown[];
        rejectedErrors?: RecipientFailure[];
      };
      try {
        const transport = nodemailer.createTransport({
          ...base,
          ...(await authOptions(settings.login)),
          ...(slot ? { getSocket: connection.getSocket } : {}),
        } as Parameters<typeof nodemailer.createTransport>[0]);
        // nodemailer types the result `any`; these are the fields an SMTP send answers with.
        info = (await transport.sendMail(toMailOptions(email))) as typeof info;
      } catch (error) {
        // A refused token is asked for afresh on the next attempt.
        if ((error as { code?: string }).code === 'EAUTH' && settings.login.kind === 'oauth2') {
          settings.login.tokens.forget();
        }
        throw (
          envelopeError(email, error, settings.deferral) ??
          classifySmtpError(error, settings.deferral)
        );
      } finally {
        await slot?.finished();
        // No socket was ever made (the login failed first): nothing will close to free the slot.
        if (!connection.opened()) await slot?.release();
      }
      // A partly refused recipient list still "succeeds" (LIBRARIES.md). A refused copy leaves the
      // email delivered and is reported; a refused To fails it, although any copy has gone by then
      // (SMTP cannot take DATA back), so a retry may copy the requester again, same Message-ID.
      const { primary, copies } = splitRefusals(
        email,
        refusalsOf(info.rejected, info.rejectedErrors),
      );
      if (primary.length > 0) throw primaryRefusalError(primary);
      return { messageId: info.messageId, response: info.response, refusedCopies: copies };
    },
    close() {
      return Promise.resolve();
    },
  };
}
