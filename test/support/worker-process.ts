// A worker in its own process, for tests that kill it: configured from the environment, with a
// short lock so a killed worker's job is taken over within seconds. Started through
// child-worker.ts; prints "ready" once started and "stopped" after a SIGTERM/SIGINT drain.
// ECAT_TEST_LOCK_MS / ECAT_TEST_STALLED_MS override the lock (2 s) and stalled check (1 s).
import { pino } from 'pino';
import { loadConfig } from '../../src/wiring/config.ts';
import { openRuntime, startWorker } from '../../src/wiring/runtime.ts';

const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const config = loadConfig(process.env);
const runtime = await openRuntime(config, { retry: { attempts: 5, backoffMs: 100 } });
const worker = startWorker(runtime, pino({ level: 'silent' }), {
  lockDurationMs: number('ECAT_TEST_LOCK_MS', 2000),
  stalledIntervalMs: number('ECAT_TEST_STALLED_MS', 1000),
});
process.stdout.write('ready\n');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void worker.stop(10_000).then(async (clean) => {
      await runtime.close();
      process.stdout.write(clean ? 'stopped\n' : 'stopped late\n');
      process.exit(0);
    });
  });
}
