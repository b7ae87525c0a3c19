// Who may reach what (README "Who may open what"): decided once per request, before any route
// runs, from the route the router matched and the credential the request carries. Every route is
// in route-rules.ts, and a route added without a rule stops the server from building: nothing is
// open by omission. The decision leaves `request.principal` for the routes (principal.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES } from '../../domain/people/person.ts';
import type { PersonalTokens, Sessions } from '../../ports/people.ts';
import type { Signer } from '../signing.ts';
import { hasAdminBasic, hasBearer } from './auth.ts';
import { errorBody } from './errors.ts';
import {
  ADMIN,
  hasAnyRole,
  LOCAL_OPERATOR,
  NOBODY,
  personPrincipal,
  SERVICE,
  type Principal,
} from './principal.ts';
import { ruleFor, type Area, type RouteRule } from './route-rules.ts';
import { sessionIdOf } from './session-cookie.ts';

export interface AccessSettings {
  apiToken?: string;
  adminPassword?: string;
  /** A token for Prometheus alone; API_TOKEN opens /metrics too. */
  metricsToken?: string;
  /** Sign-in by OpenID Connect is configured: pages need a session, ADMIN_PASSWORD is ignored. */
  signIn?: boolean;
}

export interface AccessDeps {
  sessions: Sessions;
  tokens: PersonalTokens;
  signer: Signer;
  /** A page for a browser refused (403): who they are signed in as, and why not. */
  refusedPage(reply: FastifyReply, message: string): FastifyReply;
}

/**
 * Local mode: no API_TOKEN, ADMIN_PASSWORD or sign-in. The server then binds to loopback and
 * answers loopback names only, so a web page elsewhere cannot reach it through DNS rebinding.
 */
export function isLocalMode(settings: AccessSettings): boolean {
  return (
    settings.apiToken === undefined && settings.adminPassword === undefined && !settings.signIn
  );
}

const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** True when a Host header names this machine's loopback: localhost, 127.x.x.x or [::1]. */
function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  const host = hostHeader.replace(/:\d{1,5}$/, '');
  return LOOPBACK_HOST.test(host);
}

type Refusal = { status: 401 | 403; message: string } | { signIn: true };
type Decision = Principal | Refusal;

const EVERY_ROLE = [...ROLES];

/** The rule of the route that will answer; a path no route matches is a page (or the API's). */
function ruleOfRequest(request: FastifyRequest): { rule: RouteRule; pattern: string } {
  const pattern = request.routeOptions.url;
  if (pattern !== undefined) {
    const rule = ruleFor(request.method, pattern);
    if (rule) return { rule, pattern };
  }
  const path = request.url.split('?')[0] ?? '';
  const area: Area = path === '/api' || path.startsWith('/api/') ? 'api' : 'pages';
  return { rule: { area, roles: EVERY_ROLE }, pattern: path };
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

const unauthorised = (message: string): Refusal => ({ status: 401, message });

export function accessControl(
  app: FastifyInstance,
  settings: AccessSettings,
  deps: AccessDeps,
): void {
  const local = isLocalMode(settings);
  const metricsTokens = [settings.metricsToken, settings.apiToken].filter((t) => t !== undefined);

  // A route without a rule is a mistake found when the server is built, not a door left open.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!ruleFor(method, route.url)) {
        throw new Error(
          `${method} ${route.url} has no rule in route-rules.ts: say who may open it`,
        );
      }
    }
  });

  /** A personal token: the person and the roles they made it with. */
  async function personalToken(secret: string): Promise<Principal | undefined> {
    const token = await deps.tokens.find(secret);
    return token && personPrincipal(token.person, token.roles, 'personal-token');
  }

  async function forApi(request: FastifyRequest): Promise<Decision> {
    if (local) return LOCAL_OPERATOR;
    if (settings.apiToken !== undefined && hasBearer(request, [settings.apiToken])) return SERVICE;
    const bearer = bearerOf(request);
    const person = bearer === undefined ? undefined : await personalToken(bearer);
    if (person) return person;
    if (settings.apiToken === undefined && !settings.signIn) {
      return unauthorised(
        'The API is closed: this server has no API_TOKEN. Set API_TOKEN to open it.',
      );
    }
    // The session cookie never opens the API: a page on another site could ride on it.
    return unauthorised(
      settings.signIn
        ? 'A valid Authorization: Bearer token is required: API_TOKEN, or a personal token made at /account/tokens.'
        : 'A valid Authorization: Bearer token (API_TOKEN) is required.',
    );
  }

  async function forMetrics(request: FastifyRequest): Promise<Decision> {
    if (local && settings.metricsToken === undefined) return LOCAL_OPERATOR;
    if (hasBearer(request, metricsTokens)) return SERVICE;
    const bearer = bearerOf(request);
    const person = bearer === undefined ? undefined : await personalToken(bearer);
    if (person) return person;
    return unauthorised(
      metricsTokens.length === 0 && !settings.signIn
        ? 'Metrics are closed: this server has no METRICS_TOKEN or API_TOKEN. Set one to open them.'
        : 'A valid Authorization: Bearer token (METRICS_TOKEN, API_TOKEN or a personal token) is required.',
    );
  }

  async function forPages(request: FastifyRequest): Promise<Decision> {
    if (local) return LOCAL_OPERATOR;
    if (settings.signIn) {
      const id = sessionIdOf(request, deps.signer);
      const session = id === undefined ? undefined : await deps.sessions.get(id);
      if (id !== undefined && session) {
        return personPrincipal(session.person, session.roles, 'session', id);
      }
      return { signIn: true };
    }
    if (settings.adminPassword === undefined) {
      return unauthorised(
        'These pages are closed: this server has no ADMIN_PASSWORD or sign-in. Set ADMIN_PASSWORD to open them (or OIDC_ISSUER, for sign-in).',
      );
    }
    return hasAdminBasic(request, settings.adminPassword)
      ? ADMIN
      : unauthorised('Sign in as admin with the ADMIN_PASSWORD.');
  }

  function decide(request: FastifyRequest, rule: RouteRule): Promise<Decision> | Decision {
    switch (rule.area) {
      case 'open':
        return NOBODY;
      case 'api':
        return forApi(request);
      case 'metrics':
        return forMetrics(request);
      case 'pages':
        return forPages(request);
    }
  }

  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    request.principal = NOBODY;
    const { rule, pattern } = ruleOfRequest(request);
    if (local && !isLoopbackHost(request.headers.host)) {
      return refuse(request, reply, rule.area, {
        status: 403,
        message:
          'Without credentials ecat answers only to localhost, 127.0.0.1 and [::1]. Set API_TOKEN and ADMIN_PASSWORD, or sign-in, to serve other names.',
      });
    }
    const decision = await decide(request, rule);
    if (!('actor' in decision)) return refuse(request, reply, rule.area, decision);
    if (rule.area !== 'open') {
      if (!hasAnyRole(decision, rule.roles)) {
        const who = decision.person ? `${decision.person.name} (${decision.person.email})` : 'You';
        return refuse(request, reply, rule.area, {
          status: 403,
          message: `${who} cannot open this page: it is for ${rule.roles.join(' or ')}. Ask the BaRS team if you need it.`,
        });
      }
      if (rule.personOnly && decision.person === undefined) {
        return refuse(request, reply, rule.area, {
          status: 403,
          message: `${pattern} is for people who sign in (OIDC_ISSUER); this ecat is opened by ${decision.actor.kind === 'system' ? decision.actor.name : 'a shared credential'}.`,
        });
      }
    }
    request.principal = decision;
  });

  function refuse(request: FastifyRequest, reply: FastifyReply, area: Area, refusal: Refusal) {
    if ('signIn' in refusal) {
      // A browser asking for a page is sent to sign in, and brought back here afterwards.
      if (request.method === 'GET' && /text\/html/i.test(request.headers.accept ?? '')) {
        return reply.redirect(`/sign-in?returnTo=${encodeURIComponent(request.url)}`, 303);
      }
      return answer(reply, area, { status: 401, message: 'Sign in first: /sign-in.' });
    }
    if (
      refusal.status === 403 &&
      area === 'pages' &&
      /text\/html/i.test(request.headers.accept ?? '')
    ) {
      return deps.refusedPage(reply, refusal.message);
    }
    return answer(reply, area, refusal);
  }
}

function answer(reply: FastifyReply, area: Area, refusal: { status: 401 | 403; message: string }) {
  reply.code(refusal.status);
  if (refusal.status === 401) {
    reply.header(
      'www-authenticate',
      area === 'pages' ? 'Basic realm="ecat", charset="UTF-8"' : 'Bearer realm="ecat"',
    );
  }
  return area === 'api' || area === 'metrics'
    ? reply.send(errorBody(refusal.message))
    : reply.type('text/plain; charset=utf-8').send(refusal.message);
}

/** One line for the start-up log: what is open to whom. */
export function describeAccess(settings: AccessSettings, host: string): string {
  if (isLocalMode(settings)) {
    const metrics = settings.metricsToken ? '; /metrics by METRICS_TOKEN' : '';
    return `access: no API_TOKEN, ADMIN_PASSWORD or sign-in, so listening on ${host} only and answering loopback names (localhost, 127.0.0.1, [::1]) without credentials${metrics}`;
  }
  const personal = settings.signIn ? ' or a personal token' : '';
  const api =
    settings.apiToken || settings.signIn
      ? `API by Bearer ${[settings.apiToken && 'API_TOKEN', settings.signIn && 'personal token'].filter(Boolean).join(' or ')}`
      : 'API closed (set API_TOKEN)';
  const pages = settings.signIn
    ? 'pages and /admin/queues by sign-in (OIDC), each route by role'
    : settings.adminPassword
      ? 'pages and /admin/queues by Basic admin:ADMIN_PASSWORD'
      : 'pages and /admin/queues closed (set ADMIN_PASSWORD or OIDC_ISSUER)';
  const metricsBy = [settings.metricsToken && 'METRICS_TOKEN', settings.apiToken && 'API_TOKEN']
    .filter(Boolean)
    .join(' or ');
  const metrics =
    metricsBy || personal
      ? `/metrics by Bearer ${metricsBy}${metricsBy ? personal : 'personal token'}`
      : '/metrics closed (set METRICS_TOKEN or API_TOKEN)';
  return `access on ${host}: ${api}; ${pages}; ${metrics}; /healthz, /readyz and signed email links open`;
}

/** Start-up warnings for a side left closed, or a credential that does nothing. */
export function accessWarnings(settings: AccessSettings): string[] {
  if (isLocalMode(settings)) return [];
  const warnings: string[] = [];
  if (settings.signIn) {
    if (settings.adminPassword !== undefined) {
      warnings.push(
        'ADMIN_PASSWORD is ignored: with sign-in (OIDC_ISSUER) every page needs a person signed in',
      );
    }
    return warnings;
  }
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
