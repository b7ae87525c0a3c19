// `ecat serve`: the HTTP server alone (API, form, outstanding page, dashboard, metrics).
import { createLogger } from '../logging.ts';
import { startHttpServer } from '../http/server.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT } from './io.ts';
import { serviceConfig, withRuntime } from './with-runtime.ts';

export const command = defineCommand(
  {
    about: [
      'Serves on PORT (default 3000) until SIGINT or SIGTERM, then finishes the requests in hand.',
      'Emails are sent by `ecat worker`. With NODE_ENV=production, REDIS_URL must be set.',
    ],
    options: {},
    exits: { 0: 'stopped by SIGINT or SIGTERM', 3: REDIS_UNREACHABLE },
  },
  async (_parsed, io) =>
    withRuntime(
      io,
      async (runtime) => {
        const log = createLogger(runtime.config.logLevel, {
          environment: runtime.config.environment,
        });
        const server = await startHttpServer(runtime, log);
        const signal = await io.waitForStop();
        log.info(`${signal}: finishing requests in hand, then stopping`);
        await server.stop();
        return EXIT.ok;
      },
      serviceConfig(io),
    ),
);
