// `ecat worker`: sends the queued emails until SIGINT/SIGTERM, then finishes the job in hand.
import { createLogger } from '../../wiring/foundation.ts';
import { startWorker } from '../../wiring/runtime.ts';
import { EXIT, UsageError, type Command } from './io.ts';
import { parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';

export const run: Command = async (args, io) => {
  const { positional } = parseArgs(args, {});
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  return withRuntime(io, async (runtime) => {
    const log = createLogger(runtime.config.logLevel);
    const worker = startWorker(runtime, log);
    const signal = await io.waitForStop();
    log.info(`${signal}: finishing the job in hand, then stopping`);
    const clean = await worker.stop();
    if (!clean) log.warn('the worker did not stop in time; its job will be retried');
    return EXIT.ok;
  });
};
