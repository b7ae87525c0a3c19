// The log lines every process writes: an ISO time, the version and environment in each, and no
// credential however it is logged (a request's headers, a token or a password in an object).
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/adapters/logging.ts';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  version: string;
};

/** A logger whose lines are collected here, parsed. */
function capturedLogger(environment?: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const log = createLogger('info', { destination, ...(environment ? { environment } : {}) });
  return { log, lines };
}

describe('log lines', () => {
  it('carry an ISO time, the version and the environment', () => {
    const { log, lines } = capturedLogger('production');
    log.info('hello');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ app: 'ecat', version, environment: 'production', msg: 'hello' });
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('say development when NODE_ENV names none', () => {
    const { log, lines } = capturedLogger();
    log.info('hello');
    expect(lines[0]?.environment).toBe('development');
  });

  it('never hold a credential: headers, tokens, secrets and passwords are redacted', () => {
    const { log, lines } = capturedLogger();
    log.child({ component: 'http' }).warn(
      {
        req: { method: 'GET', url: '/', headers: { authorization: 'Bearer abc', cookie: 'sid=1' } },
        authorization: 'Basic YWRtaW46cHc=',
        oidc: { idToken: 'eyJ.x.y', secret: 'client-secret' },
        login: { user: 'admin', password: 'pw' },
        session: { token: 'tok' },
      },
      'refused',
    );
    const line = lines[0]!;
    expect(line).toMatchObject({
      req: {
        method: 'GET',
        url: '/',
        headers: { authorization: '[Redacted]', cookie: '[Redacted]' },
      },
      authorization: '[Redacted]',
      oidc: { idToken: '[Redacted]', secret: '[Redacted]' },
      login: { user: 'admin', password: '[Redacted]' },
      session: { token: '[Redacted]' },
    });
    expect(JSON.stringify(line)).not.toMatch(/abc|sid=1|YWRtaW46|eyJ|client-secret|"pw"|"tok"/);
  });
});
