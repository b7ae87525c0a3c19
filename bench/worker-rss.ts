// Runs the worker until `count` requests under the prefix are sent, then prints its RSS in bytes.
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { openRuntime, startWorker } from '../src/runtime.ts';

const count = Number(process.argv[2]);
const runtime = await openRuntime(loadConfig(process.env));
const worker = startWorker(runtime, pino({ level: 'silent' }));
while ((await runtime.store.count('sent')) < count) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
global.gc?.();
process.stdout.write(`${process.memoryUsage().rss}\n`);
await worker.stop(5000);
await runtime.close();
