// SMTP as NHSmail (Exchange Online) asks for it: TLS required beyond loopback, with certificates
// verified (a private CA by SMTP_CA_FILE); XOAUTH2 with a token from the Microsoft identity
// platform's client-credentials flow (a secret or a certificate), renewed once it has expired; and
// the two "not now" answers classified as deferrals. Real servers on loopback: smtp-server, a
// node:http token endpoint, certificates made with openssl.
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify, constants, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySmtpError } from '../src/adapters/mail/smtp-errors.ts';
import {
  createSmtpMailer,
  DEFAULT_DEFERRAL,
  defaultTls,
} from '../src/adapters/mail/smtp-mailer.ts';
import { connectCommandRedis } from '../src/adapters/redis/connection.ts';
import { ConfigError } from '../src/domain/errors.ts';
import { MailDeferredError, PermanentMailError, TemporaryMailError } from '../src/ports/mailer.ts';
import { loadConfig } from '../src/wiring/config.ts';
import { createWiredMailer, smtpSettings } from '../src/wiring/mail.ts';
import { REDIS_URL, testEnv, uniquePrefix } from './support/ecat.ts';
import { email } from './support/outgoing-email.ts';

const MAILBOX = 'ecat@example.nhs.uk';
const dir = mkdtempSync(join(tmpdir(), 'ecat-tls-'));
const file = (name: string) => join(dir, name);

/** A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate for Entra. */
function makeCertificates() {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const self = (name: string, subject: string) =>
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-subj',
      subject,
    );
  self('ca', '/CN=ecat test CA');
  self('client', '/CN=ecat client');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
}

interface Sink {
  url: string;
  logins: { method: string; user: string; token?: string }[];
  messages: number;
  close(): Promise<void>;
}

async function smtpServer(
  options: Partial<SMTPServerOptions>,
  accept: (token?: string) => boolean,
) {
  const sink: Sink = { url: '', logins: [], messages: 0, close: () => Promise.resolve() };
  const server = new SMTPServer({
    logger: false,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      sink.logins.push({ method: auth.method, user: auth.username ?? '', token: auth.accessToken });
      if (accept(auth.accessToken)) {
        callback(null, { user: auth.username });
        return;
      }
      callback(
        Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 }),
      );
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        sink.messages += 1;
        callback();
      });
    },
    ...options,
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  return sink;
}

/** The token endpoint of a tenant: checks the client, issues token-1, token-2… for an hour. */
interface TokenEndpoint {
  url: string;
  requests: URLSearchParams[];
  issued: string[];
  close(): Promise<void>;
}

async function tokenEndpoint(check: (form: URLSearchParams, url: string) => string | undefined) {
  const endpoint: TokenEndpoint = {
    url: '',
    requests: [],
    issued: [],
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(body);
      endpoint.requests.push(form);
      const problem = check(form, endpoint.url);
      response.setHeader('content-type', 'application/json');
      if (problem) {
        response.statusCode = 401;
        response.end(JSON.stringify({ error: problem, error_description: 'AADSTS7000215' }));
        return;
      }
      const token = `token-${endpoint.issued.length + 1}`;
      endpoint.issued.push(token);
      response.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: token }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  endpoint.url = `http://127.0.0.1:${port}/tenant-id/oauth2/v2.0/token`;
  endpoint.close = () =>
    new Promise((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  return endpoint;
}

const mailConfig = (env: Record<string, string>) =>
  loadConfig(testEnv('unused', { MAIL_FROM: `ecat <${MAILBOX}>`, ...env })).mail;

beforeAll(() => {
  makeCertificates();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('XOAUTH2 with the Microsoft identity platform', () => {
  it('logs in as the mailbox with a client-credentials token, and asks again once it has expired', async () => {
    const tokens = await tokenEndpoint((form) =>
      form.get('client_secret') === 'the-secret' ? undefined : 'invalid_client',
    );
    // Only the newest token is valid, as when the old one has expired.
    const smtp = await smtpServer(
      { authMethods: ['XOAUTH2'], disabledCommands: ['STARTTLS'] },
      (token) => token === tokens.issued.at(-1),
    );
    let clock = new Date('2027-01-04T09:00:00Z');
    const mail = mailConfig({
      SMTP_URL: smtp.url,
      SMTP_OAUTH_TOKEN_URL: tokens.url,
      SMTP_OAUTH_CLIENT_ID: 'client-id',
      SMTP_OAUTH_CLIENT_SECRET: 'the-secret',
    });
    const mailer = createSmtpMailer(smtpSettings(mail, smtp.url, () => clock));
    await mailer.send(email());
    await mailer.send(email());
    expect(tokens.requests).toHaveLength(1);
    const [form] = tokens.requests;
    expect(Object.fromEntries(form!)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-id',
      scope: 'https://outlook.office365.com/.default',
      client_secret: 'the-secret',
    });
    clock = new Date(clock.getTime() + 3600_000);
    tokens.issued.push('someone-else'); // token-1 is no longer the valid one
    await mailer.send(email());
    expect(tokens.requests).toHaveLength(2);
    expect(smtp.logins.map((login) => [login.method, login.user, login.token])).toEqual([
      ['XOAUTH2', MAILBOX, 'token-1'],
      ['XOAUTH2', MAILBOX, 'token-1'],
      ['XOAUTH2', MAILBOX, 'token-3'],
    ]);
    expect(smtp.messages).toBe(3);
    await Promise.all([smtp.close(), tokens.close()]);
  });

  it('asks for a new token after the server refuses one, and never retries the refused one', async () => {
    const tokens = await tokenEndpoint(() => undefined);
    let revoked = true;
    const smtp = await smtpServer(
      { authMethods: ['XOAUTH2'], disabledCommands: ['STARTTLS'] },
      () => !revoked,
    );
    const mail = mailConfig({
      SMTP_URL: smtp.url,
      SMTP_OAUTH_TENANT: 'unused-because-the-url-is-given',
      SMTP_OAUTH_TOKEN_URL: tokens.url,
      SMTP_OAUTH_CLIENT_ID: 'client-id',
      SMTP_OAUTH_CLIENT_SECRET: 'the-secret',
    });
    const mailer = createSmtpMailer(smtpSettings(mail, smtp.url, () => new Date()));
    const refused = await mailer.send(email()).catch((error: unknown) => error);
    // A refused login is no refusal of the email: tried again later.
    expect(refused).toBeInstanceOf(TemporaryMailError);
    revoked = false;
    await mailer.send(email());
    expect(smtp.logins.map((login) => login.token)).toEqual(['token-1', 'token-2']);
    await Promise.all([smtp.close(), tokens.close()]);
  });

  it('proves the client with a certificate: a PS256 assertion naming it by its SHA-256 thumbprint', async () => {
    const certificate = new X509Certificate(readFileSync(file('client.crt')));
    const tokens = await tokenEndpoint((form, url) => {
      const [header, claims, signature] = (form.get('client_assertion') ?? '').split('.');
      const decode = (part = '') =>
        JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
      const head = decode(header);
      const body = decode(claims);
      const thumbprint = createHash('sha256').update(certificate.raw).digest('base64url');
      const signed = verify(
        'sha256',
        Buffer.from(`${header}.${claims}`),
        {
          key: createPublicKey(certificate.publicKey.export({ format: 'pem', type: 'spki' })),
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        },
        Buffer.from(signature ?? '', 'base64url'),
      );
      const good =
        form.get('client_assertion_type') ===
          'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
        !form.has('client_secret') &&
        head.alg === 'PS256' &&
        head['x5t#S256'] === thumbprint &&
        body.aud === url &&
        body.iss === 'client-id' &&
        body.sub === 'client-id' &&
        signed;
      return good ? undefined : 'invalid_client';
    });
    const smtp = await smtpServer(
      { authMethods: ['XOAUTH2'], disabledCommands: ['STARTTLS'] },
      (token) => token === 'token-1',
    );
    const mail = mailConfig({
      SMTP_URL: smtp.url,
      SMTP_OAUTH_TOKEN_URL: tokens.url,
      SMTP_OAUTH_CLIENT_ID: 'client-id',
      SMTP_OAUTH_CERTIFICATE_FILE: file('client.crt'),
      SMTP_OAUTH_PRIVATE_KEY_FILE: file('client.key'),
    });
    await createSmtpMailer(smtpSettings(mail, smtp.url, () => new Date())).send(email());
    expect(tokens.issued).toEqual(['token-1']);
    expect(smtp.messages).toBe(1);
    await Promise.all([smtp.close(), tokens.close()]);
  });

  it('refuses incomplete or contradictory XOAUTH2 settings at start, never echoing the secret', () => {
    const base = { SMTP_URL: 'smtp://smtp.office365.com:587', SMTP_OAUTH_CLIENT_ID: 'id' };
    const refusal = (env: Record<string, string>) => {
      try {
        mailConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ ...base, SMTP_OAUTH_CLIENT_SECRET: 's3cr3t' })).toMatch(/SMTP_OAUTH_TENANT/);
    expect(refusal({ ...base, SMTP_OAUTH_TENANT: 't' })).toMatch(/needs SMTP_OAUTH_CLIENT_SECRET/);
    expect(
      refusal({
        ...base,
        SMTP_OAUTH_TENANT: 't',
        SMTP_OAUTH_CLIENT_SECRET: 's3cr3t',
        SMTP_OAUTH_CERTIFICATE_FILE: 'c',
        SMTP_OAUTH_PRIVATE_KEY_FILE: 'k',
      }),
    ).not.toContain('s3cr3t');
    expect(
      refusal({
        SMTP_OAUTH_TENANT: 't',
        SMTP_OAUTH_CLIENT_ID: 'id',
        SMTP_OAUTH_CLIENT_SECRET: 's',
      }),
    ).toMatch(/need SMTP_URL/);
    expect(refusal({ SMTP_URL: 'smtps://smtp.example.nhs.uk', SMTP_TLS: 'off' })).toMatch(
      /SMTP_TLS=off/,
    );
    // The tenant is enough: the token URL is Entra's for it.
    expect(
      mailConfig({ ...base, SMTP_OAUTH_TENANT: 'nhs-tenant', SMTP_OAUTH_CLIENT_SECRET: 's' }).oauth
        ?.tokenUrl,
    ).toBe('https://login.microsoftonline.com/nhs-tenant/oauth2/v2.0/token');
  });
});

describe('TLS', () => {
  const starttls = () => ({
    key: readFileSync(file('server.key')),
    cert: readFileSync(file('server.crt')),
  });

  it('is required for any server not on loopback', () => {
    expect(defaultTls('smtp.office365.com')).toBe('required');
    expect(defaultTls('10.0.0.5')).toBe('required');
    expect(defaultTls('127.0.0.1')).toBe('opportunistic');
    expect(defaultTls('localhost')).toBe('opportunistic');
    expect(defaultTls('[::1]')).toBe('opportunistic');
  });

  it('when required, gives a server that offers no STARTTLS neither the password nor the email', async () => {
    const smtp = await smtpServer({ disabledCommands: ['STARTTLS'] }, () => true);
    const url = smtp.url.replace('smtp://', 'smtp://ecat:password@');
    const mail = mailConfig({ SMTP_URL: url, SMTP_TLS: 'required' });
    const error = await createSmtpMailer(smtpSettings(mail, url, () => new Date()))
      .send(email())
      .catch((problem: unknown) => problem);
    expect(error).toBeInstanceOf(TemporaryMailError);
    expect((error as Error).message).toMatch(/STARTTLS/);
    expect(smtp.logins).toEqual([]);
    expect(smtp.messages).toBe(0);
    await smtp.close();
  });

  it('checks the certificate: trusted through SMTP_CA_FILE, refused without it', async () => {
    const smtp = await smtpServer({ ...starttls(), authOptional: true }, () => true);
    const trusting = mailConfig({
      SMTP_URL: smtp.url,
      SMTP_TLS: 'required',
      SMTP_CA_FILE: file('ca.crt'),
    });
    await createSmtpMailer(smtpSettings(trusting, smtp.url, () => new Date())).send(email());
    expect(smtp.messages).toBe(1);
    const untrusting = mailConfig({ SMTP_URL: smtp.url, SMTP_TLS: 'required' });
    const error = await createSmtpMailer(smtpSettings(untrusting, smtp.url, () => new Date()))
      .send(email())
      .catch((problem: unknown) => problem);
    expect(error).toBeInstanceOf(TemporaryMailError);
    expect(smtp.messages).toBe(1);
    await smtp.close();
  });

  it('can be turned off by name for a development catcher, which the start-up says', async () => {
    const redis = await connectCommandRedis(REDIS_URL);
    const wired = createWiredMailer(
      mailConfig({
        SMTP_URL: 'smtp://mailpit:1025',
        SMTP_TLS: 'off',
        MAIL_FROM: 'ecat <ecat@localhost>',
      }),
      redis,
      uniquePrefix('wired'),
      () => new Date(),
    );
    redis.disconnect();
    expect(wired.description).toMatch(/TLS off/);
    expect(wired.warnings.join('\n')).toMatch(/SMTP_TLS=off.*development/);
    // NHSmail sends only as the mailbox it authenticated.
    expect(wired.warnings.join('\n')).toMatch(/MAIL_FROM is ecat <ecat@localhost>/);
  });
});

describe('Exchange Online\'s answers that mean "not now"', () => {
  it('432 4.3.2 (too many connections) is a short deferral, at the greeting or later', () => {
    const greeting = classifySmtpError(
      { code: 'EPROTOCOL', response: '432 4.3.2 Concurrent connections limit exceeded.' },
      DEFAULT_DEFERRAL,
    );
    expect(greeting).toBeInstanceOf(MailDeferredError);
    expect(greeting).toMatchObject({ scope: 'busy', waitMs: DEFAULT_DEFERRAL.busyMs });
  });

  it('554 5.2.0 SubmissionQuotaExceeded pauses mail; any other 554 is a refusal', () => {
    const quota = classifySmtpError(
      {
        responseCode: 554,
        response:
          '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception',
      },
      DEFAULT_DEFERRAL,
    );
    expect(quota).toMatchObject({ scope: 'quota', waitMs: DEFAULT_DEFERRAL.quotaMs });
    const refusal = classifySmtpError(
      { responseCode: 554, response: '554 5.7.1 Message rejected' },
      DEFAULT_DEFERRAL,
    );
    expect(refusal).toBeInstanceOf(PermanentMailError);
  });
});
