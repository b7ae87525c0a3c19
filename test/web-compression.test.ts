// What the server adds to every answer for the people running it: compressed pages for clients
// that accept them, and the process's own metrics on /metrics beside ecat's.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useServer } from './support/web.ts';

const web = useServer('web-compression');

describe('compression', () => {
  it('gzips a page for a client that accepts gzip, to the same HTML', async () => {
    const plain = await web.app.inject({ url: '/' });
    const zipped = await web.app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    const html = gunzipSync(zipped.rawPayload).toString('utf8');
    // The CSP nonce and the form's CSRF token differ per response: compare the pages without them.
    const steady = (text: string) =>
      text.replace(/nonce="[^"]*"/g, 'nonce=""').replace(/name="_csrf" value="[^"]*"/g, '');
    expect(steady(html)).toBe(steady(plain.body));
    expect(html).toContain('</html>');
  });

  it('prefers brotli when offered, and leaves a small answer alone', async () => {
    const page = await web.app.inject({ url: '/', headers: { 'accept-encoding': 'br, gzip' } });
    expect(page.headers['content-encoding']).toBe('br');
    const small = await web.app.inject({ url: '/healthz', headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});

describe('/metrics', () => {
  it("has the process's metrics beside ecat's", async () => {
    const text = (await web.app.inject({ url: '/metrics' })).body;
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'ecat_outstanding_requests',
      'ecat_overdue_requests',
      'ecat_emails_total',
      'ecat_queue_jobs',
      'ecat_intake_duration_seconds',
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
  });
});
