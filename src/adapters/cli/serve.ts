// `ecat serve`: the HTTP server alone (API, form, outstanding page, dashboard, metrics).
import { createLogger } from '../../wiring/foundation.ts';
import { startHttpServer } from '../http/server.ts';
import { EXIT, UsageError, type Command } from './io.ts';
import { parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';

export const run: Command = async (args, io) => {
  const { positional } = parseArgs(args, {});
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  return withRuntime(io, async (runtime) => {
    const log = createLogger(runtime.config.logLevel);
    const server = await startHttpServer(runtime, log);
    const signal = await io.waitForStop();
    log.info(`${signal}: finishing requests in hand, then stopping`);
    await server.stop();
    return EXIT.ok;
  });
};
