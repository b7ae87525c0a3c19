// How a queued job carries the trace of the request that queued it, without loading OpenTelemetry
// unless tracing is on: src/tracing/register.ts (preloaded by bin/ecat.js when
// OTEL_EXPORTER_OTLP_ENDPOINT is set) installs the two functions; otherwise both do nothing.

export interface JobTracing {
  /** The active span as a W3C `traceparent`, if there is one. */
  currentTraceparent(): string | undefined;
  /** Runs `work` in a span named `name`, a child of `traceparent` (the job's) when given. */
  inSpan<T>(
    name: string,
    traceparent: string | undefined,
    attributes: Record<string, string>,
    work: () => Promise<T>,
  ): Promise<T>;
}

let installed: JobTracing | undefined;

export function installJobTracing(tracing: JobTracing): void {
  installed = tracing;
}

export function currentTraceparent(): string | undefined {
  return installed?.currentTraceparent();
}

export function inJobSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string>,
  work: () => Promise<T>,
): Promise<T> {
  return installed ? installed.inSpan(name, traceparent, attributes, work) : work();
}
