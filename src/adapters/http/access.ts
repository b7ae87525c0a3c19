// Who may reach what (CONTRACT.md "Credentials"): decided once per request, before any route runs,
// from the path alone. A route added later falls into "pages" and is closed like them: nothing is
// open by omission.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasAdminBasic, hasBearer } from './auth.ts';
import { errorBody } from './errors.ts';
import { ADMIN, LOCAL_OPERATOR, NOBODY, SERVICE, type Principal } from './principal.ts';

export interface AccessSettings {
  apiToken?: string;
  adminPassword?: string;
  /** A token for Prometheus alone; API_TOKEN opens /metrics too. */
  metricsToken?: string;
}

type Area = 'health' | 'api' | 'metrics' | 'pages';

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

function areaOf(path: string): Area {
  if (HEALTH_PATHS.has(path)) return 'health';
  if (path === '/metrics') return 'metrics';
  if (path === '/api' || path.startsWith('/api/')) return 'api';
  // Everything else is for people at a browser, /docs (the API's document to browse, with its
  // files and its own copy of the document) included: a browser holds the admin password, not
  // the API's token.
  return 'pages';
}

/**
 * Local mode: neither API_TOKEN nor ADMIN_PASSWORD. The server then binds to loopback and answers
 * loopback names only, so a web page elsewhere cannot reach it through DNS rebinding.
 */
export function isLocalMode(settings: AccessSettings): boolean {
  return settings.apiToken === undefined && settings.adminPassword === undefined;
}

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** True when a Host header names this machine's loopback: localhost, 127.x.x.x or [::1]. */
function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  const host = hostHeader.replace(/:\d{1,5}$/, '');
  return LOOPBACK_HOST.test(host);
}

type Decision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

const ALLOWED: Decision = { allowed: true };

/**
 * The area of the route that will answer, as the router matched it: its pattern, after the path
 * was decoded (`/%61pi/requests` is the API). The raw URL only for a path no route matches.
 */
function areaOfRequest(request: FastifyRequest): Area {
  return areaOf(request.routeOptions.url ?? request.url.split('?')[0] ?? '');
}

/** What a request may do in its area; the message names what would open a closed one. */
function decide(
  request: FastifyRequest,
  area: Area,
  settings: AccessSettings,
  local: boolean,
  metricsTokens: string[],
): Decision {
  if (local && !isLoopbackHost(request.headers.host)) {
    return {
      allowed: false,
      status: 403,
      message:
        'Without credentials ecat answers only to localhost, 127.0.0.1 and [::1]. Set API_TOKEN and ADMIN_PASSWORD to serve other names.',
    };
  }
  switch (area) {
    case 'health':
      return ALLOWED;
    case 'api':
      if (local) return ALLOWED;
      if (settings.apiToken === undefined) {
        return unauthorised(
          'The API is closed: this server has no API_TOKEN. Set API_TOKEN to open it.',
        );
      }
      return hasBearer(request, [settings.apiToken])
        ? ALLOWED
        : unauthorised('A valid Authorization: Bearer token (API_TOKEN) is required.');
    case 'metrics': {
      if (local && settings.metricsToken === undefined) return ALLOWED;
      if (metricsTokens.length === 0) {
        return unauthorised(
          'Metrics are closed: this server has no METRICS_TOKEN or API_TOKEN. Set one to open them.',
        );
      }
      return hasBearer(request, metricsTokens)
        ? ALLOWED
        : unauthorised(
            'A valid Authorization: Bearer token (METRICS_TOKEN or API_TOKEN) is required.',
          );
    }
    case 'pages':
      if (local) return ALLOWED;
      if (settings.adminPassword === undefined) {
        return unauthorised(
          'These pages are closed: this server has no ADMIN_PASSWORD. Set ADMIN_PASSWORD to open them.',
        );
      }
      return hasAdminBasic(request, settings.adminPassword)
        ? ALLOWED
        : unauthorised('Sign in as admin with the ADMIN_PASSWORD.');
  }
}

function unauthorised(message: string): Decision {
  return { allowed: false, status: 401, message };
}

function answer(reply: FastifyReply, area: Area, decision: Exclude<Decision, { allowed: true }>) {
  reply.code(decision.status);
  if (decision.status === 401) {
    reply.header(
      'www-authenticate',
      area === 'pages' ? 'Basic realm="ecat", charset="UTF-8"' : 'Bearer realm="ecat"',
    );
  }
  return area === 'pages'
    ? reply.type('text/plain; charset=utf-8').send(decision.message)
    : reply.send(errorBody(decision.message));
}

/** Registers the one gate every request passes, 404s included. */
export function accessControl(app: FastifyInstance, settings: AccessSettings): void {
  const local = isLocalMode(settings);
  const metricsTokens = [settings.metricsToken, settings.apiToken].filter((t) => t !== undefined);
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    request.principal = NOBODY;
    const area = areaOfRequest(request);
    const decision = decide(request, area, settings, local, metricsTokens);
    if (!decision.allowed) return answer(reply, area, decision);
    if (local) request.principal = LOCAL_OPERATOR;
    else if (area === 'api') request.principal = SERVICE;
    else if (area === 'pages') request.principal = ADMIN;
  });
}

/** One line for the start-up log: what is open to whom. */
export function describeAccess(settings: AccessSettings, host: string): string {
  if (isLocalMode(settings)) {
    const metrics = settings.metricsToken ? '; /metrics by METRICS_TOKEN' : '';
    return `access: no API_TOKEN or ADMIN_PASSWORD, so listening on ${host} only and answering loopback names (localhost, 127.0.0.1, [::1]) without credentials${metrics}`;
  }
  const api = settings.apiToken ? 'API by Bearer API_TOKEN' : 'API closed (set API_TOKEN)';
  const pages = settings.adminPassword
    ? 'pages and /admin/queues by Basic admin:ADMIN_PASSWORD'
    : 'pages and /admin/queues closed (set ADMIN_PASSWORD)';
  const metricsBy = [settings.metricsToken && 'METRICS_TOKEN', settings.apiToken && 'API_TOKEN']
    .filter(Boolean)
    .join(' or ');
  const metrics = metricsBy
    ? `/metrics by Bearer ${metricsBy}`
    : '/metrics closed (set METRICS_TOKEN or API_TOKEN)';
  return `access on ${host}: ${api}; ${pages}; ${metrics}; /healthz and /readyz open`;
}

/** Start-up warnings for a side left closed because only the other credential is set. */
export function accessWarnings(settings: AccessSettings): string[] {
  if (isLocalMode(settings)) return [];
  const warnings: string[] = [];
  if (settings.apiToken === undefined) {
    warnings.push(
      'ADMIN_PASSWORD is set but API_TOKEN is not: the JSON API answers 401 until API_TOKEN is set',
    );
  }
  if (settings.adminPassword === undefined) {
    warnings.push(
      'API_TOKEN is set but ADMIN_PASSWORD is not: the form, /requests and /admin/queues answer 401 until ADMIN_PASSWORD is set',
    );
  }
  return warnings;
}
