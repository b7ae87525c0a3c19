// The one error base: every error class src exports is an EcatError with a kind and a retry flag,
// and each edge maps the kind (the worker's mapping is a pure function, tested here).
import { SignInError } from '../src/ports/people.ts';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ApimAuthError } from '../src/adapters/apim-credentials.ts';
import { DirectoryCannotAnswerError, DirectoryUnavailableError } from '../src/ports/directory.ts';
import { HttpNetworkError, HttpStatusError } from '../src/adapters/dos-search/strict-get.ts';
import { UsageError } from '../src/adapters/cli/io.ts';
import { EcatError, isUnavailable, type ErrorKind, ConfigError } from '../src/domain/errors.ts';
import { CsvSyntaxError } from '../src/domain/csv/csv.ts';
import { NotUtf8Error } from '../src/domain/csv/encoding.ts';
import { jobFailure } from '../src/adapters/queues/workers.ts';
import { NoRedisError } from '../src/adapters/redis/launcher.ts';
import {
  DependencyUnavailableError,
  NotReplicatedError,
} from '../src/adapters/redis/connection.ts';
import { MailDeferredError, PermanentMailError, TemporaryMailError } from '../src/ports/mailer.ts';

const KINDS: readonly ErrorKind[] = ['invalid', 'unavailable', 'refused', 'bug'];

const EXAMPLES: [EcatError, ErrorKind, boolean][] = [
  [new DependencyUnavailableError('Redis is unreachable'), 'unavailable', true],
  [new NotReplicatedError('no replica confirmed it'), 'unavailable', true],
  [new ConfigError('REDIS_URL is not a URL'), 'invalid', false],
  [new UsageError('unexpected argument x'), 'invalid', false],
  [new PermanentMailError('refused', 550, '550 5.1.1 no such user'), 'refused', false],
  [new TemporaryMailError('deferred', 'ETIMEDOUT', undefined), 'unavailable', true],
  [new MailDeferredError('too many connections', 'busy', 15_000, '432 4.3.2'), 'unavailable', true],
  [new DirectoryUnavailableError('DoS Search: HTTP 503'), 'unavailable', true],
  [new DirectoryCannotAnswerError('not an ODS code DoS takes'), 'refused', false],
  [new HttpStatusError(503, undefined, '30'), 'unavailable', true],
  [new HttpStatusError(429, undefined, undefined), 'unavailable', true],
  [new HttpStatusError(400, { resourceType: 'OperationOutcome' }, undefined), 'refused', false],
  [new HttpNetworkError('ECONNREFUSED'), 'unavailable', true],
  [new ApimAuthError('the API-M token endpoint answered HTTP 401'), 'unavailable', true],
  [new NoRedisError('no redis-server on PATH'), 'unavailable', false],
  [new CsvSyntaxError(3, 'a quoted cell is never closed'), 'invalid', false],
  [new NotUtf8Error('standard input is not UTF-8'), 'invalid', false],
  [new SignInError('the sign-in provider cannot be reached'), 'unavailable', true],
];

describe('the error classes', () => {
  it.each(
    EXAMPLES.map(([error, kind, retryable]) => [error.name, error, kind, retryable] as const),
  )('%s is an EcatError of its kind', (name, error, kind, retryable) => {
    expect(error).toBeInstanceOf(EcatError);
    expect(error).toBeInstanceOf(Error);
    expect(error.constructor.name).toBe(name);
    expect(error.kind).toBe(kind);
    expect(error.retryable).toBe(retryable);
    expect(error.message).not.toContain('\n');
    expect(isUnavailable(error)).toBe(kind === 'unavailable');
  });

  it('keeps each class its public fields', () => {
    const permanent = new PermanentMailError('refused', 550, '550 no', [
      { address: 'a@nhs.net', responseCode: 550, response: '550 no' },
    ]);
    expect(permanent).toMatchObject({ responseCode: 550, response: '550 no' });
    expect(permanent.refused).toHaveLength(1);
    expect(new CsvSyntaxError(7, 'x')).toMatchObject({ line: 7, message: 'line 7: x' });
    expect(new HttpStatusError(502, 'body', '5')).toMatchObject({
      status: 502,
      body: 'body',
      retryAfter: '5',
      message: 'HTTP 502',
    });
    expect(new DirectoryUnavailableError('x', 'credentials').reason).toBe('credentials');
    const cause = new Error('socket');
    expect(new DependencyUnavailableError('x', { cause }).cause).toBe(cause);
  });

  it('covers every error class src exports', async () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files = (await readdir(root, { recursive: true })).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.d.ts'),
    );
    const errorClasses: string[] = [];
    for (const file of files) {
      const module = (await import(join(root, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(module)) {
        if (typeof value !== 'function' || value === EcatError) continue;
        if (!(value.prototype instanceof Error)) continue;
        errorClasses.push(name);
        expect(value.prototype, `${relative(root, join(root, file))}: ${name}`).toBeInstanceOf(
          EcatError,
        );
      }
    }
    const tested = new Set(EXAMPLES.map(([error]) => error.constructor.name));
    expect([...new Set(errorClasses)].filter((name) => !tested.has(name))).toEqual([]);
    expect(errorClasses.length).toBeGreaterThanOrEqual(tested.size);
  });
});

describe('the worker edge', () => {
  it('ends a job on a non-retryable error and lets BullMQ retry the rest', () => {
    const permanent = jobFailure(new PermanentMailError('550 no such user', 550, '550'));
    expect(permanent).toBeInstanceOf(UnrecoverableError);
    expect(permanent.message).toBe('550 no such user');
    const temporary = new TemporaryMailError('421 try later', undefined, 421);
    expect(jobFailure(temporary)).toBe(temporary);
    const unavailable = new DependencyUnavailableError('Redis is unreachable');
    expect(jobFailure(unavailable)).toBe(unavailable);
    const bug = new TypeError('x is undefined');
    expect(jobFailure(bug)).toBe(bug);
    const given = new UnrecoverableError('unknown job');
    expect(jobFailure(given)).toBe(given);
    expect(jobFailure('a string')).toBeInstanceOf(Error);
  });

  it('every kind is one the edges know', () => {
    for (const [error] of EXAMPLES) expect(KINDS).toContain(error.kind);
  });
});
