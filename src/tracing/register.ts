// OpenTelemetry tracing, loaded by bin/ecat.js before anything else, and only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set: incoming HTTP, Redis commands and outgoing fetches (the BaRS
// proxy, the identity provider) within a request or a job, the send job's span, a child of the
// request that queued it, and the follow-up sweeps' spans, exported over OTLP/HTTP (JSON).
// The SDK reads its own OTEL_* variables (service name, resource attributes, batch delays).
import { register } from 'node:module';
import type { RequestOptions } from 'node:http';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { installJobTracing } from '../adapters/tracing.ts';

// ioredis is imported from ESM (ours and BullMQ's), which require hooks do not see: it is wrapped
// through the instrumentation's import hook, and nothing else is, our own modules least of all.
// http is patched through require, as Fastify loads it.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
  data: { include: ['ioredis'] },
});

/** `host:port` of a URL, the port spelled out. */
function origin(url: URL): string {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6, as node:http names it
  return `${hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * The DoS Search API refuses any header it does not list, `traceparent` included: requests to the
 * directory (DIRECTORY_URL_*) are not traced, so nothing is added to them. Read at each request,
 * not at load: this runs before the app has read .env and its configuration.
 */
function toDirectory(options: RequestOptions): boolean {
  const hostname = options.hostname ?? (options.host ?? '').replace(/^([^:]*):\d+$/, '$1');
  const port = String(options.port ?? (options.protocol === 'https:' ? 443 : 80));
  return [process.env.DIRECTORY_URL_INT, process.env.DIRECTORY_URL_PROD].some(
    (value) =>
      value !== undefined &&
      URL.canParse(value) &&
      origin(new URL(value)) === `${hostname}:${port}`,
  );
}

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'ecat',
  traceExporter: new OTLPTraceExporter(),
  instrumentations: [
    new HttpInstrumentation({ ignoreOutgoingRequestHook: toDirectory }),
    // fetch (the BaRS proxy's FHIR client, openid-client), seen through undici's diagnostics
    // channels; as for Redis, only calls made within a traced request or job. Nothing to leave
    // out: the directory is asked through node:http (strict-get.ts), and by origin alone it could
    // not be told apart from the BaRS proxy, both behind API Management's one host.
    new UndiciInstrumentation({ requireParentforSpans: true }),
    // Only commands made within a traced request or job: BullMQ's polling would drown the rest.
    new IORedisInstrumentation({ requireParentSpan: true }),
  ],
});
sdk.start();

const tracer = trace.getTracer('ecat');

installJobTracing({
  currentTraceparent() {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return carrier.traceparent;
  },
  inSpan(name, traceparent, attributes, work) {
    const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
    return tracer.startActiveSpan(
      name,
      { kind: SpanKind.CONSUMER, attributes },
      parent,
      async (span) => {
        try {
          return await work();
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  },
});

// Spans still batched when the process ends are sent first (`ecat` ends by letting the loop drain).
process.once('beforeExit', () => {
  void sdk.shutdown();
});
