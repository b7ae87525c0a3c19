#!/usr/bin/env node
// The `ecat` command: runs the build in dist/ (`npm run build`; `npm install` makes it), so no
// compiler runs at start and nothing is written to a temporary folder. From any folder, however
// it is started (npx, npm exec, an installed bin).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('ecat is not built: run `npm run build` in its folder (npm install does it too)');
  process.exit(2);
}
// Tracing must hook http, fastify and ioredis before the app imports them; without an OTLP
// endpoint no OpenTelemetry module is loaded at all. (Set it in the environment: .env is read later.)
if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) {
  await import(new URL('../dist/src/tracing/register.js', import.meta.url).href);
}
await import(cli.href);
