// Every route and who may open it (README "Who may open what"). The access gate (access.ts) looks
// each request's route up here before the route runs; building the server fails on a route this
// table does not name, so nothing is open by omission. Routes that read one request also check it
// is the reader's own when they see only their own (principal.ts `canSee`).
import type { Role } from '../../domain/people/person.ts';

/**
 * - `open`: anyone; the route itself needs no credential, or checks its own (a signed link).
 * - `pages`: a browser: a session (sign-in), or HTTP Basic admin, or local mode.
 * - `api`: a Bearer token: API_TOKEN or a personal token. Never the session cookie.
 * - `metrics`: a Bearer token: METRICS_TOKEN, API_TOKEN, or a personal token with the roles.
 */
export type Area = 'open' | 'pages' | 'api' | 'metrics';

export interface RouteRule {
  area: Area;
  /** Any one of these opens the route; empty for `open`. */
  roles: readonly Role[];
  /** Pages only a signed-in person has (personal tokens): not local mode or the admin password. */
  personOnly?: boolean;
}

const ALL: readonly Role[] = ['requester', 'bars-team', 'viewer'];
const open: RouteRule = { area: 'open', roles: [] };
const page = (...roles: Role[]): RouteRule => ({ area: 'pages', roles });
const api = (...roles: Role[]): RouteRule => ({ area: 'api', roles });

/** `METHOD /pattern` as Fastify names a route (HEAD is looked up as its GET). */
export const ROUTE_RULES: Readonly<Record<string, RouteRule>> = {
  'GET /healthz': open,
  'GET /readyz': open,
  'GET /metrics': { area: 'metrics', roles: ['bars-team', 'viewer'] },

  // Sign-in and sign-out (sign-in.ts); a signed email link is its own credential (link-pages.ts,
  // status-pages.ts).
  'GET /sign-in': open,
  'GET /auth/callback': open,
  'POST /sign-out': open,
  'GET /signed-out': open,
  'GET /link/:token': open,
  'POST /link/:token': open,
  'GET /status/:token': open,
  'POST /status/:token/test-dates': open,
  'POST /status/:token/withdraw': open,

  // The form and check-your-answers (pages.ts), and the CSV upload (import-pages.ts).
  'GET /': page('requester'),
  'POST /': page('requester'),
  'GET /check/:draft': page('requester'),
  'POST /check/:draft': page('requester'),
  'GET /import': page('requester'),
  'POST /import': page('requester'),
  'GET /import/:id': page('requester'),
  'GET /import/:id/report': page('requester'),

  // Requests: a requester sees only their own (request-list.ts, outstanding.ts, request-actions.ts).
  'GET /requests': page(...ALL),
  'GET /requests/find': page(...ALL),
  'GET /requests/export.csv': page('bars-team'),
  'GET /requests/:id': page(...ALL),
  'GET /requests/:id/email': page(...ALL),
  'POST /requests/:id/confirm': page('bars-team'),
  'POST /requests/:id/cancel': page('bars-team'),
  'POST /requests/:id/ask-for-changes': page('bars-team'),
  'POST /requests/:id/test-dates': page('requester'),
  'POST /requests/:id/withdraw': page('requester'),

  // Personal API tokens: a signed-in person's own (tokens-page.ts).
  'GET /account/tokens': { ...page(...ALL), personOnly: true },
  'POST /account/tokens': { ...page(...ALL), personOnly: true },
  'POST /account/tokens/:id/revoke': { ...page(...ALL), personOnly: true },

  // The API's own document and its browser (docs.ts, openapi.ts).
  'GET /docs': page(...ALL),
  'GET /docs/openapi.json': page(...ALL),
  'GET /docs/docs-start.js': page(...ALL),
  'GET /api/openapi.json': api(...ALL),

  // The JSON API (api.ts).
  'POST /api/requests': api('requester'),
  'GET /api/requests': api(...ALL),
  'GET /api/requests/:id': api(...ALL),
  'POST /api/requests/:id/confirm': api('bars-team'),
  'POST /api/requests/:id/cancel': api('bars-team'),
};

/** Whole trees registered by a library or a static folder: the longest matching prefix wins. */
export const PREFIX_RULES: ReadonlyArray<readonly [string, RouteRule]> = [
  // NHS.UK frontend's CSS, JavaScript and icons: no data, and the sign-in page needs them.
  ['/assets/', open],
  // swagger-ui's files.
  ['/docs/', page(...ALL)],
  ['/admin/queues', page('bars-team', 'viewer')],
];

/** The rule for a route as the router matched it; undefined for one nobody listed. */
export function ruleFor(method: string, pattern: string): RouteRule | undefined {
  const verb = method === 'HEAD' ? 'GET' : method;
  const exact = ROUTE_RULES[`${verb} ${pattern}`];
  if (exact) return exact;
  return PREFIX_RULES.find(
    ([prefix]) =>
      pattern === prefix.replace(/\/$/, '') ||
      pattern.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
  )?.[1];
}
