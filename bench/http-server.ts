// The HTTP server in a process of its own, so a benchmark's client does not share its event loop:
// prints its address, then serves until stdin closes. The POST rate limit is lifted (a benchmark
// from one address would otherwise measure the limiter).
import { pino } from 'pino';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { buildServer } from '../src/adapters/http/server.ts';
import { serveUntilStdinEnds } from './serve-until-stdin-ends.ts';

const runtime = await openRuntime(loadConfig(process.env));
const app = await buildServer(runtime, {
  logger: pino({ level: 'silent' }),
  rateLimits: { api: 1e9 },
});
serveUntilStdinEnds(await app.listen({ port: 0, host: '127.0.0.1' }), async () => {
  await app.close();
  await runtime.close();
});
