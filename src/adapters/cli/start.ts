// `ecat start` (npm start): the service in one process, the HTTP server and the worker. Starts a private Redis when none is
// configured or answering, then runs everything until SIGINT/SIGTERM and drains.
import { loadConfig } from '../../wiring/config.ts';
import { answersOn, startPrivateRedis, type PrivateRedis } from '../redis/launcher.ts';
import { createLogger } from '../../wiring/foundation.ts';
import { startWorker } from '../../wiring/runtime.ts';
import { startHttpServer } from '../http/server.ts';
import { EXIT, UsageError, type Command } from './io.ts';
import { parseArgs } from './read-input.ts';
import { withRuntime } from './with-runtime.ts';

export const run: Command = async (args, io) => {
  const { positional } = parseArgs(args, {});
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const config = loadConfig(io.env);
  const log = createLogger(config.logLevel);

  let privateRedis: PrivateRedis | undefined;
  if (!config.redis.explicit && !(await answersOn(6379))) {
    // NoRedisError (unavailable) ends the command with its one line and exit 3 (main.ts).
    privateRedis = await startPrivateRedis();
    log.info('no Redis was running: started a private redis-server (data in var/redis/)');
  }
  try {
    return await withRuntime(io, async (runtime) => {
      // The server first: a port already taken then stops the start before the worker runs.
      const server = await startHttpServer(runtime, log);
      const services = [server, startWorker(runtime, log)];
      const signal = await io.waitForStop();
      log.info(`${signal}: finishing work in hand, then stopping`);
      await Promise.all(services.map((service) => service.stop()));
      return EXIT.ok;
    });
  } finally {
    await privateRedis?.stop();
  }
};
