// Runs the worker until `count` requests under the prefix are sent, then prints its memory once it
// has settled: `{"rss": bytes, "heapUsed": bytes}`.
import { pino } from 'pino';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime, startWorker } from '../src/wiring/runtime.ts';

const count = Number(process.argv[2]);
const runtime = await openRuntime(loadConfig(process.env));
const worker = startWorker(runtime, pino({ level: 'silent' }));
while ((await runtime.store.count('sent')) < count) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
// Right after a burst RSS still holds pages V8 and malloc have freed but not yet returned (up to
// 50 MB here, varying run to run); a few idle moments with a GC each let it come down, so the
// figure is what the worker keeps, not the peak it passed through.
for (let settle = 0; settle < 3; settle += 1) {
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
}
global.gc?.();
const { rss, heapUsed } = process.memoryUsage();
process.stdout.write(`${JSON.stringify({ rss, heapUsed })}\n`);
await worker.stop(5000);
await runtime.close();
