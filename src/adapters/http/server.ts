// The HTTP server (CONTRACT.md "HTTP"): one Fastify app built from injected dependencies, one
// plugin per concern. `ecat serve` and `ecat start` listen with it; the tests inject into it.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createLogger } from '../logging.ts';
import { londonDate } from '../../domain/dates.ts';
import type { Runtime } from '../../wiring/runtime.ts';
import { accessControl, accessWarnings, describeAccess, isLocalMode } from './access.ts';
import { apiRoutes } from './api.ts';
import { frontendAssets } from './assets.ts';
import { createCsrf } from './csrf.ts';
import { createDrafts } from '../redis/drafts.ts';
import { createImports } from '../redis/imports.ts';
import { queueImport } from '../queues/import-queue.ts';
import { dashboardRoutes } from './dashboard.ts';
import { registerErrorHandler } from './errors.ts';
import { healthRoutes } from './health.ts';
import { importRoutes } from './import-pages.ts';
import { addMetrics, createMetrics, metricsRoute } from './metrics.ts';
import type { Registry } from 'prom-client';
import { docsRoutes } from './docs.ts';
import { openApiDocument, openApiRoute } from './openapi.ts';
import type { ResponseViolation } from './response-check.ts';
import { pageRoutes } from './pages.ts';
import { BODY_LIMIT, security } from './security.ts';
import { redisRateLimitStore } from './rate-limit-store.ts';
import { createViews } from './views.ts';
import { ConfigError } from '../../domain/errors.ts';
import { createPendingSignIns, createPersonalTokens, createSessions } from '../redis/people.ts';
import { openIdProvider } from '../oidc/openid-provider.ts';
import { signInRoutes } from './sign-in.ts';
import { tokensPageRoutes } from './tokens-page.ts';
import { linkPageRoutes } from './link-pages.ts';
import { statusPageRoutes } from './status-pages.ts';
import { createSignedLinks, createUsedLinks, LINK_TOKEN_MAX_LENGTH } from './signed-links.ts';
import type { AccessSettings } from './access.ts';

/** TRUST_PROXY as Fastify takes it: a hop count becomes "trust the nearest n" (its types say no number). */
function trustedProxies(setting: false | number | string[]) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/** Who may open what, from the configuration: the credentials, and whether people sign in. */
export function accessSettings(config: ServerDeps['config']): AccessSettings {
  return { ...config.http, signIn: config.people.oidc !== undefined };
}

/** What the server touches; a Runtime has it all, a test can build it around any Redis. */
export type ServerDeps = Pick<
  Runtime,
  | 'config'
  | 'foundation'
  | 'redis'
  | 'queue'
  | 'followUpQueue'
  | 'importQueue'
  | 'store'
  | 'followUpJobs'
  | 'intakeDeps'
  | 'signer'
>;

export interface ServerOptions {
  /** Defaults to a pino logger on stderr at `logLevel` (default: the configured level). */
  logger?: Logger;
  logLevel?: string;
  /** Per minute and address: POST /api/requests and the form (default: the configuration's). */
  rateLimits?: { api?: number; form?: number };
  /**
   * For the tests: each /api/* answer is checked against the OpenAPI document and what does not
   * fit is handed here (response-check.ts). Off by default: production does no checking.
   */
  validateResponses?: (violation: ResponseViolation) => void;
  /** Metrics of another part of this process (`ecat start`'s worker), shown on /metrics too. */
  moreMetrics?: Registry;
}

// A caller's own request id is kept when it is a plain token, so logs can be joined across hops.
const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;

export async function buildServer(
  deps: ServerDeps,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const { config, store, queue, redis } = deps;
  const base =
    options.logger ??
    createLogger(options.logLevel ?? config.logLevel, { environment: config.environment });
  const logger: FastifyBaseLogger = base.child(
    { component: 'http' },
    {
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      },
    },
  );
  const { limits } = config.http;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    // Slow or idle clients are cut off (node checks the header timeout every interval; its default
    // of 30 s would hold a slow client that long whatever the timeout says).
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs / 2),
    },
    genReqId: (raw) => {
      const given = raw.headers['x-request-id'];
      return typeof given === 'string' && INCOMING_ID.test(given) ? given : randomUUID();
    },
    // No personal data in the logs: method and path, never the address, body or credentials.
    loggerInstance: logger,
    // Which proxies' X-Forwarded-For/-Proto/-Host to believe (TRUST_PROXY): the client address for
    // rate limits, HTTPS for Secure cookies, the host for the CSRF origin check.
    trustProxy: trustedProxies(config.people.trustProxy),
    // A signed link's token (~200 characters) is a path parameter; the default limit is 100.
    routerOptions: { maxParamLength: LINK_TOKEN_MAX_LENGTH },
  });
  app.server.maxConnections = limits.maxConnections;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const views = createViews();
  registerErrorHandler(app, {
    notFound: (reply) => views.send(reply, 'not-found.njk', { title: 'Page not found' }, 404),
  });
  const intake = deps.intakeDeps('api');
  const sessions = createSessions(redis, config.queuePrefix);
  const tokens = createPersonalTokens(redis, config.queuePrefix, intake.now);
  // Before every route and parser: who may reach what (access.ts).
  accessControl(app, accessSettings(config), {
    sessions,
    tokens,
    signer: deps.signer,
    refusedPage: (reply, message) =>
      views.send(
        reply,
        'message.njk',
        {
          title: 'You do not have access',
          heading: 'You do not have access to this page',
          message,
        },
        403,
      ),
  });
  // Called, not registered: its hooks and parsers must reach every route, not one child scope.
  const { oidc } = config.people;
  await security(
    app,
    redisRateLimitStore(redis, `${config.queuePrefix}:rate-limit:`),
    oidc ? [new URL(oidc.issuer).origin] : [],
  );
  if (options.validateResponses) {
    // Imported only when asked for: ajv is a development dependency.
    const { checkApiResponses } = await import('./response-check.ts');
    checkApiResponses(app, openApiDocument(), options.validateResponses);
  }

  const metrics = createMetrics(
    {
      store,
      queue,
      queues: { mail: queue, 'follow-up': deps.followUpQueue, import: deps.importQueue },
      redis,
    },
    () => londonDate(intake.now()),
  );
  if (options.moreMetrics) addMetrics(metrics.registry, options.moreMetrics);
  await app.register(frontendAssets);
  await app.register(healthRoutes, { redis, probeKey: `${config.queuePrefix}:readyz` });
  await app.register(metricsRoute, metrics);
  await app.register(openApiRoute);
  await app.register(docsRoutes);
  await app.register(apiRoutes, {
    prefix: '/api',
    store,
    intake,
    followUpJobs: deps.followUpJobs,
    observeIntake: metrics.observeIntake,
    submitRateLimit: options.rateLimits?.api ?? config.rateLimits.apiPerMinute,
  });
  const csrf = createCsrf(deps.signer);
  const links = createSignedLinks(deps.signer, {
    linkDays: config.people.linkDays,
    now: intake.now,
  });
  const linkDeps = {
    store,
    links,
    usedLinks: createUsedLinks(redis, config.queuePrefix),
    followUpJobs: deps.followUpJobs,
    intake: deps.intakeDeps('link'),
    views,
    csrf,
  };
  await app.register(linkPageRoutes, linkDeps);
  await app.register(statusPageRoutes, linkDeps);
  await app.register(signInRoutes, {
    ...(oidc ? { oidc: { config: oidc, provider: openIdProvider(oidc) } } : {}),
    sessions,
    pending: createPendingSignIns(redis, config.queuePrefix),
    signer: deps.signer,
    views,
    sessionHours: config.people.sessionHours,
    publicUrl: config.http.publicUrl,
    now: intake.now,
  });
  await app.register(tokensPageRoutes, {
    tokens,
    csrf,
    views,
    now: () => intake.now().getTime(),
  });
  await app.register(pageRoutes, {
    store,
    followUpJobs: deps.followUpJobs,
    intake,
    drafts: createDrafts(redis, config.queuePrefix),
    csrf,
    views,
    email: {
      renderer: deps.foundation.renderer,
      from: config.mail.from,
      to: config.mail.to,
      linksUnavailable: !config.http.publicUrlConfigured,
    },
    observeIntake: metrics.observeIntake,
    formRateLimit: options.rateLimits?.form ?? config.rateLimits.formPerMinute,
    statusLinkFor: (requestId) => links.statusLinkFor(requestId),
  });
  const { importQueue } = deps;
  await app.register(importRoutes, {
    imports: createImports(redis, config.queuePrefix),
    views,
    csrf,
    queueImport: (id) => queueImport(importQueue, redis, id),
    maxBytes: config.imports.maxBytes,
    now: intake.now,
  });
  await app.register(dashboardRoutes, { queue, followUpQueue: deps.followUpQueue, importQueue });
  return app;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * Where to listen (CONTRACT.md): without API_TOKEN or ADMIN_PASSWORD nothing protects the server,
 * so it stays on loopback whatever HOST says; with credentials HOST (default all interfaces) wins.
 */
export function bindAddress(config: ServerDeps['config']): {
  host: string;
  protectedByCredentials: boolean;
  ignoredHost?: string;
} {
  const { host } = config.http;
  if (!isLocalMode(accessSettings(config))) {
    return { host: host ?? '0.0.0.0', protectedByCredentials: true };
  }
  if (host !== undefined && LOOPBACK.test(host)) return { host, protectedByCredentials: false };
  return {
    host: '127.0.0.1',
    protectedByCredentials: false,
    ...(host !== undefined ? { ignoredHost: host } : {}),
  };
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'needs privileges this process does not have',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/**
 * Listens, or closes the app and says in one line what is wrong with the address: it is
 * configuration (the variable named), reported as any other bad setting.
 */
export async function listenOrExplain(
  app: FastifyInstance,
  { port, host, variable }: { port: number; host: string; variable: string },
): Promise<string> {
  try {
    return await app.listen({ port, host });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (!LISTEN_PROBLEMS[code]) throw error;
    throw new ConfigError(`${variable} ${port} on ${host} ${LISTEN_PROBLEMS[code]} (${code})`);
  }
}

export interface RunningServer {
  url: string;
  stop(): Promise<boolean>;
}

export async function startHttpServer(
  deps: ServerDeps,
  log: Logger,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const app = await buildServer(deps, { logger: log, ...options });
  const { host, ignoredHost } = bindAddress(deps.config);
  const url = await listenOrExplain(app, { port: deps.config.http.port, host, variable: 'PORT' });
  if (ignoredHost) {
    log.warn(
      `HOST=${ignoredHost} ignored: without API_TOKEN or ADMIN_PASSWORD ecat listens on ${host} only`,
    );
  }
  log.info(describeAccess(accessSettings(deps.config), host));
  for (const warning of accessWarnings(accessSettings(deps.config))) log.warn(warning);
  log.info(
    `HTTP server on ${url}: form /, outstanding /requests, queue /admin/queues, API /api (browse it at /docs)`,
  );
  return {
    url,
    async stop() {
      await app.close();
      return true;
    },
  };
}
