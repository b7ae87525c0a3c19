// Tracing as it runs: `ecat start` with OTEL_EXPORTER_OTLP_ENDPOINT pointed at an OTLP/HTTP
// collector stand-in on loopback. One request submitted over HTTP makes one trace: the HTTP server
// span, the Redis commands that stored it, and the worker's send span; the strict DoS Search
// stand-in, which refuses a `traceparent`, is asked without one. Without the endpoint, no
// OpenTelemetry module is loaded at all.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnEcat, type Child } from './support/child-worker.ts';
import { deletePrefix, REDIS_URL, requestBody, testEnv, uniquePrefix } from './support/ecat.ts';
import {
  dosState,
  schedulingEndpoint,
  startDosSearchServer,
  type DosSearchServer,
} from './support/dos-directory.ts';
import { until } from './support/poll.ts';
import { statement } from './catalogue-fixtures.ts';

/** A span as OTLP/JSON carries it (ids as hex), with only what is asserted here. */
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

const SPAN_KIND = { server: 2, client: 3, consumer: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan extends Omit<Span, 'attributes'> {
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpExport {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/** The collector stand-in: every span POSTed to /v1/traces (JSON), kept in arrival order. */
async function startCollector(): Promise<{ url: string; spans: Span[]; server: Server }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({
              ...span,
              attributes: Object.fromEntries(
                (span.attributes ?? []).map(({ key, value }) => [
                  key,
                  value.stringValue ?? value.intValue ?? value.boolValue,
                ]),
              ),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

/** The BaRS proxy stand-in: every service is live; the headers of each /metadata kept. */
async function startProxy(): Promise<{ url: string; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || !req.url?.endsWith('/metadata')) {
      res.writeHead(404).end();
      return;
    }
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(statement));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/booking-and-referral/FHIR/R4`, seen, server };
}

const prefix = uniquePrefix('tracing');
const dos = dosState({ tokens: ['token-1'], endpoints: [schedulingEndpoint('ASID:918999198993')] });
let dosServer: DosSearchServer;
let collector: Awaited<ReturnType<typeof startCollector>>;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let outbox: string;
const children: Child[] = [];

beforeAll(async () => {
  dosServer = await startDosSearchServer(dos);
  collector = await startCollector();
  proxy = await startProxy();
  outbox = await mkdtemp(join(tmpdir(), 'ecat-tracing-'));
});
afterEach(() => {
  children.splice(0).forEach((child) => {
    child.kill();
  });
});
afterAll(async () => {
  await dosServer.close();
  collector.server.closeAllConnections();
  await new Promise((resolve) => collector.server.close(resolve));
  proxy.server.closeAllConnections();
  await new Promise((resolve) => proxy.server.close(resolve));
  await rm(outbox, { recursive: true, force: true });
  await deletePrefix(prefix);
});

/** `ecat start` on a free port; resolves with its base URL once the worker runs too. */
async function startEcat(extra: Record<string, string>): Promise<{ child: Child; url: string }> {
  const child = spawnEcat(
    ['start'],
    testEnv(prefix, {
      PORT: '0',
      LOG_LEVEL: 'info',
      OUTBOX_DIR: outbox,
      DIRECTORY_URL_INT: dosServer.base,
      APIM_ACCESS_TOKEN: 'token-1',
      ...extra,
    }),
  );
  children.push(child);
  await child.waitFor('worker started', 30_000);
  await child.waitFor(/HTTP server on (http:\/\/\S+?):/, 30_000);
  const url = /HTTP server on (http:\/\/[^\s:]+:\d+)/.exec(child.output())?.[1] ?? '';
  return { child, url };
}

/** The send job's data as the worker finds it (kept a while after it completes). */
async function sendJobData(id: string): Promise<Record<string, unknown>> {
  const redis = new Redis(REDIS_URL);
  try {
    const data = await redis.hget(`${prefix}:bars-configuration:send-${id}`, 'data');
    return JSON.parse(data ?? '{}') as Record<string, unknown>;
  } finally {
    redis.disconnect();
  }
}

/** A request for `dosServiceId` (one per test: a second for the same service is a duplicate). */
async function submit(url: string, dosServiceId: string): Promise<string> {
  const response = await fetch(`${url}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(requestBody({ dosServiceId })),
  });
  expect(response.status).toBe(202);
  const { id } = (await response.json()) as { id: string };
  return id;
}

describe('tracing over OTLP', () => {
  it('makes one trace of an HTTP intake: server span, Redis spans and the worker send span', async () => {
    const { child, url } = await startEcat({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: 'ecat-test',
    });
    const id = await submit(url, '2000072489');
    await until(async () => (await readdir(outbox)).some((name) => name.endsWith(`${id}.eml`)));

    const send = await until(
      () => collector.spans.find((span) => span.attributes['ecat.request_id'] === id),
      15_000,
      () => `the send span; spans so far: ${collector.spans.map((s) => s.name).join(', ')}`,
    );
    expect(send.name).toBe('configure-endpoint send');
    expect(send.kind).toBe(SPAN_KIND.consumer);
    const trace = () => collector.spans.filter((span) => span.traceId === send.traceId);
    const intake = await until(
      () =>
        trace().find(
          (span) =>
            span.kind === SPAN_KIND.server &&
            String(span.attributes['http.method'] ?? span.attributes['http.request.method']) ===
              'POST',
        ),
      15_000,
      () =>
        `the HTTP server span in the send's trace: ${trace()
          .map((s) => s.name)
          .join(', ')}`,
    );
    expect(intake.parentSpanId ?? '').toBe('');
    // The intake's Redis commands (the MULTI that stores the record with its jobs among them) are
    // its children, and so is the send, run later by the worker.
    const redis = trace().filter(
      (span) =>
        span.kind === SPAN_KIND.client &&
        span.parentSpanId === intake.spanId &&
        span.attributes['db.system.name'] === 'redis',
    );
    expect(redis.map((span) => span.name)).toContain('exec');
    expect(send.parentSpanId).toBe(intake.spanId);
    expect(await sendJobData(id)).toMatchObject({
      traceparent: `00-${send.traceId}-${intake.spanId}-01`,
    });

    // DoS Search was asked, without a trace header (it would have refused one with a 400).
    expect(dos.seen.length).toBeGreaterThan(0);
    expect(dos.seen.filter((request) => 'traceparent' in request.headers)).toEqual([]);
    expect(dos.refused).toEqual([]);

    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  }, 60_000);

  it("traces the catalogue check's call to the BaRS proxy, with the trace header it carries", async () => {
    // Sent first with no catalogue: the check's schedule then starts (and runs at once) below.
    const first = await startEcat({});
    const id = await submit(first.url, '2000072491');
    await until(async () => (await readdir(outbox)).some((name) => name.endsWith(`${id}.eml`)));
    first.child.process.kill('SIGTERM');
    expect(await first.child.exit).toBe(0);

    const { child } = await startEcat({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      CATALOGUE_URL_INT: proxy.url,
    });
    const call = await until(
      () =>
        collector.spans.find(
          (span) =>
            span.kind === SPAN_KIND.client &&
            String(span.attributes['url.full']).startsWith(`${proxy.url}/metadata`),
        ),
      30_000,
      () =>
        `the client span to the proxy; spans so far: ${collector.spans.map((s) => s.name).join(', ')}`,
    );
    const sweep = collector.spans.find((span) => span.spanId === call.parentSpanId);
    expect(sweep?.name).toBe('catalogue-check sweep');
    expect(call.attributes['http.response.status_code']).toBe(200);
    // The proxy was told the trace: the header names this call's span.
    const asked = proxy.seen.find((headers) => headers.traceparent !== undefined);
    expect(asked?.traceparent).toBe(`00-${call.traceId}-${call.spanId}-01`);
    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
  }, 60_000);

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: nothing exported, no trace in the job', async () => {
    const before = collector.spans.length;
    const { child, url } = await startEcat({});
    const id = await submit(url, '2000072490');
    await until(async () => (await readdir(outbox)).some((name) => name.endsWith(`${id}.eml`)));
    expect(await sendJobData(id)).not.toHaveProperty('traceparent');
    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
    expect(collector.spans.length).toBe(before);
  }, 60_000);
});
