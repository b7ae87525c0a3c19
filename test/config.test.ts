import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/wiring/config.ts';
import { ecat } from './support/ecat.ts';
import { ConfigError } from '../src/domain/errors.ts';

describe('configuration', () => {
  it('runs on one machine with no variables set', () => {
    const config = loadConfig({});
    expect(config.redis).toMatchObject({
      topology: { kind: 'single', url: 'redis://127.0.0.1:6379' },
      explicit: false,
    });
    expect(config.queuePrefix).toBe('ecat');
    expect(config.mail).toEqual({
      smtpUrl: undefined,
      outboxDir: 'var/outbox',
      from: 'ecat <ecat@localhost>',
      to: 'england.bookingandreferralstandard@nhs.net',
      tls: undefined,
      caFile: undefined,
      oauth: undefined,
      // NHSmail's published limits (LIBRARIES.md): 30 a minute, 3 connections, 10,000 a day.
      rate: { perWindow: 30, windowMs: 60_000 },
      maxConnections: 3,
      busyDelayMs: 15_000,
      quotaPauseMs: 3_600_000,
      dailyRecipients: 10_000,
    });
    // The shipped files are found from the package, wherever ecat is started.
    expect(config.directory.snapshotFile).toBe(
      fileURLToPath(new URL('../config/directory.json', import.meta.url)),
    );
    expect(config.bankHolidaysFile).toBe(
      fileURLToPath(new URL('../config/bank-holidays.json', import.meta.url)),
    );
    expect(config.directory.urls).toEqual({ INT: undefined, PROD: undefined });
    expect(config.http.port).toBe(3000);
    expect(config.urgency).toEqual({
      urgentMaxWorkingDays: 5,
      highMaxWorkingDays: 15,
      // The lead-time warning's threshold defaults to the urgent one (DOMAIN.md).
      minLeadWorkingDays: 5,
    });
    expect(loadConfig({ MIN_LEAD_WORKING_DAYS: '8' }).urgency.minLeadWorkingDays).toBe(8);
    expect(() => loadConfig({ MIN_LEAD_WORKING_DAYS: 'soon' })).toThrow(/MIN_LEAD_WORKING_DAYS/);
  });

  it('reads every contract variable', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6379/2',
      QUEUE_PREFIX: 'ecat-test',
      SMTP_URL: 'smtp://mailpit:1025',
      OUTBOX_DIR: '/tmp/outbox',
      MAIL_FROM: 'ecat <ecat@example.nhs.uk>',
      MAIL_TO: 'england.bookingandreferralstandard@nhs.net',
      DIRECTORY_URL_INT: 'https://int.api.service.nhs.uk/dos-search/FHIR/R4',
      DIRECTORY_FILE: 'other.json',
      CATALOGUE_URL_PROD: 'https://api.service.nhs.uk/booking-and-referral/FHIR/R4',
      PORT: '8080',
      API_TOKEN: 'secret',
      ADMIN_PASSWORD: 'pw',
    });
    expect(config.redis).toMatchObject({
      topology: { kind: 'single', url: 'redis://redis:6379/2' },
      explicit: true,
    });
    expect(config.mail.smtpUrl).toBe('smtp://mailpit:1025');
    expect(config.mail.to).toBe('england.bookingandreferralstandard@nhs.net');
    expect(config.directory.urls.INT).toBe('https://int.api.service.nhs.uk/dos-search/FHIR/R4');
    expect(config.catalogue.urls.PROD).toBe(
      'https://api.service.nhs.uk/booking-and-referral/FHIR/R4',
    );
    expect(config.http).toMatchObject({ port: 8080, apiToken: 'secret', adminPassword: 'pw' });
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT must be a whole number \(got 'eighty'\)$/],
    [{ PORT: '70000' }, /^PORT must be between 0 and 65535/],
    [{ SMTP_URL: 'http://mail' }, /^SMTP_URL must be a URL starting smtp:\/\/ or smtps:\/\//],
    [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL must be a URL starting redis:\/\//],
    [{ MAIL_TO: 'not an address' }, /^MAIL_TO must be an email address/],
    [{ QUEUE_PREFIX: 'a:b' }, /^QUEUE_PREFIX must be letters, digits/],
    [{ URGENT_MAX_WORKING_DAYS: '20' }, /^HIGH_MAX_WORKING_DAYS must be at least/],
  ])('stops with one line naming the variable: %o', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it.each([
    ['REDIS_URL', 'http://ecat:hunter2@redis.internal:6379'],
    ['REDIS_URL', 'redis:/ecat:hunter2@redis.internal'],
    ['SMTP_URL', 'smtp//relay:hunter2@smtp.office365.com:587'],
    ['SMTP_URL', 'submission://relay:hunter2@smtp.office365.com'],
    ['DIRECTORY_URL_INT', 'ftp://user:hunter2@dos.example'],
    // Parses as a path with no host, so the password would pass as part of it.
    ['REDIS_URL', 'redis:ecat:hunter2@redis.internal'],
  ])('never prints the password of a bad %s: exit 2, one line', async (variable, value) => {
    const run = await ecat(['list'], { [variable]: value });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^ecat: configuration: ${variable} must be a URL`));
    expect(run.stderr).toContain('***@');
    expect(run.stderr).not.toContain('hunter2');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('never prints a secret variable', () => {
    for (const variable of ['API_TOKEN', 'ADMIN_PASSWORD', 'METRICS_TOKEN', 'APIM_ACCESS_TOKEN']) {
      // An unusable value for a whole-number setting shows itself; a secret never does.
      expect(() => loadConfig({ PORT: 'x', [variable]: 'hunter2' })).toThrow(/^PORT/);
    }
  });

  it('reads the HTTP limits and keeps the header timeout within the request timeout', () => {
    expect(loadConfig({}).http.limits).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 256,
    });
    expect(() =>
      loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }),
    ).toThrow(/^HTTP_HEADERS_TIMEOUT_MS must be at most HTTP_REQUEST_TIMEOUT_MS/);
  });
});
