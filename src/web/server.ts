// The HTTP server: one Fastify app with one plugin per concern (CONTRACT.md "HTTP").
import formBody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { londonDate } from '../request/dates.ts';
import type { Runtime } from '../runtime.ts';
import { apiRoutes } from './api.ts';
import { createCsrfTokens } from './csrf.ts';
import { dashboardRoutes } from './dashboard.ts';
import { registerErrorHandler } from './errors.ts';
import { healthRoutes } from './health.ts';
import { createMetrics, metricsRoute } from './metrics.ts';
import { openApiRoute } from './openapi.ts';
import { pageRoutes } from './pages.ts';

export const BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  logLevel?: string;
  templatesDir?: string;
}

export async function buildServer(
  runtime: Runtime,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const { config, store, queue, redis } = runtime;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    genReqId: () => randomUUID(),
    // The requester's email is the only personal data we log, and only on acceptance.
    logger: { level: options.logLevel ?? config.logLevel, redact: ['req.headers.authorization'] },
  });
  registerErrorHandler(app);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: { 'script-src': ["'self'"], 'img-src': ["'self'", 'data:'] },
    },
  });
  await app.register(rateLimit, { global: false });
  await app.register(formBody, { bodyLimit: BODY_LIMIT });

  const intake = runtime.intakeDeps('api');
  const metrics = createMetrics(store, queue, () => londonDate(intake.now()));
  const frontendDir = resolve('node_modules/nhsuk-frontend/dist');

  await app.register(fastifyStatic, { root: resolve(frontendDir, 'nhsuk'), prefix: '/assets/' });
  await app.register(healthRoutes, { redis });
  await app.register(metricsRoute, metrics);
  await app.register(openApiRoute);
  await app.register(apiRoutes, {
    prefix: '/api',
    store,
    intake,
    apiToken: config.http.apiToken,
    observeIntake: metrics.observeIntake,
  });
  await app.register(pageRoutes, {
    store,
    intake,
    csrf: createCsrfTokens(),
    adminPassword: config.http.adminPassword,
    templatesDir: resolve(options.templatesDir ?? 'templates/web'),
    frontendDir,
    observeIntake: metrics.observeIntake,
  });
  await app.register(dashboardRoutes, { queue, adminPassword: config.http.adminPassword });
  return app;
}

/** Where to listen: loopback only unless credentials protect the server (CONTRACT.md). */
export function bindAddress(config: Runtime['config']): { host: string; open: boolean } {
  const protectedServer = Boolean(config.http.apiToken || config.http.adminPassword);
  if (!protectedServer) return { host: '127.0.0.1', open: false };
  return { host: config.http.host ?? '0.0.0.0', open: true };
}

export interface RunningServer {
  url: string;
  stop(): Promise<boolean>;
}

export async function startHttpServer(
  runtime: Runtime,
  log: { info(message: string): void; warn(message: string): void },
): Promise<RunningServer> {
  const app = await buildServer(runtime);
  const { host, open } = bindAddress(runtime.config);
  const address = await app.listen({ port: runtime.config.http.port, host });
  if (!open) {
    log.warn(
      'neither API_TOKEN nor ADMIN_PASSWORD is set: listening on 127.0.0.1 only, without credentials',
    );
  }
  log.info(
    `HTTP server on ${address}: form /, outstanding /requests, queue /admin/queues, API /api`,
  );
  return {
    url: address,
    async stop() {
      await app.close();
      return true;
    },
  };
}
