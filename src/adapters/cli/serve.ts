// `ecat serve`: the HTTP server alone (API, form, outstanding page, dashboard, metrics).
import { startHttpServer } from '../http/server.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { runService, serviceConfig } from './with-runtime.ts';

export const command = defineCommand(
  {
    about: [
      'Serves on PORT (default 3000) until SIGINT or SIGTERM, then finishes the requests in hand.',
      'Emails are sent by `ecat worker`. With NODE_ENV=production, REDIS_URL (or REDIS_SENTINELS,',
      'or REDIS_CLUSTER_NODES) must be set.',
    ],
    options: {},
    exits: { 0: 'stopped by SIGINT or SIGTERM', 3: REDIS_UNREACHABLE },
  },
  async (_parsed, io) =>
    runService(io, serviceConfig(io), async (runtime, log) => ({
      finishing: 'requests in hand',
      ...(await startHttpServer(runtime, log)),
    })),
);
