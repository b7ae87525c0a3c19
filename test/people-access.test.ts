// Every route, walked with each kind of person and credential (README "Who may open what"): the
// expected answers are written out here by hand, not read from route-rules.ts, so a rule changed
// by mistake fails this test. A browser without a session is sent to sign in; the session cookie
// never opens the API; a requester opens only their own requests.
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PREFIX_RULES, ROUTE_RULES } from '../src/adapters/http/route-rules.ts';
import { createPersonalTokens } from '../src/adapters/redis/people.ts';
import type { Role } from '../src/domain/people/person.ts';
import { requestBody } from './support/ecat.ts';
import { person, sessionCookie, useSignIn } from './support/people.ts';
import { postRequest } from './support/web.ts';

const API_TOKEN = 'people-access-service-token';
const web = useSignIn('people-access', { API_TOKEN, METRICS_TOKEN: 'people-access-metrics' });

type Who =
  | 'nobody'
  | 'requester'
  | 'other-requester'
  | 'bars-team'
  | 'viewer'
  | 'service-token'
  | 'requester-token'
  | 'viewer-token';

/** Who opens each route (by-hand copy of the README's table). `own` routes: the requester's own. */
const OPENS: Record<string, readonly Who[] | 'anyone'> = {
  'GET /healthz': 'anyone',
  'GET /readyz': 'anyone',
  'GET /metrics': ['service-token', 'viewer-token'],
  'GET /sign-in': 'anyone',
  'GET /auth/callback': 'anyone',
  'POST /sign-out': 'anyone',
  'GET /signed-out': 'anyone',
  'GET /link/:token': 'anyone',
  'POST /link/:token': 'anyone',
  'GET /status/:token': 'anyone',
  'POST /status/:token/test-dates': 'anyone',
  'POST /status/:token/withdraw': 'anyone',
  'GET /': ['requester', 'other-requester'],
  'POST /': ['requester', 'other-requester'],
  'GET /check/:draft': ['requester', 'other-requester'],
  'POST /check/:draft': ['requester', 'other-requester'],
  'GET /import': ['requester', 'other-requester'],
  'POST /import': ['requester', 'other-requester'],
  'GET /import/:id': ['requester', 'other-requester'],
  'GET /import/:id/report': ['requester', 'other-requester'],
  'GET /requests': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /requests/find': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /requests/export.csv': ['bars-team'],
  // The request below is the requester's: the other requester is refused it (403, not theirs).
  'GET /requests/:id': ['requester', 'bars-team', 'viewer'],
  'GET /requests/:id/email': ['requester', 'bars-team', 'viewer'],
  'POST /requests/:id/confirm': ['bars-team'],
  'POST /requests/:id/cancel': ['bars-team'],
  'POST /requests/:id/ask-for-changes': ['bars-team'],
  'POST /requests/:id/test-dates': ['requester'],
  'POST /requests/:id/withdraw': ['requester'],
  'GET /account/tokens': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'POST /account/tokens': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'POST /account/tokens/:id/revoke': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /docs': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /docs/openapi.json': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /docs/docs-start.js': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /api/openapi.json': ['service-token', 'requester-token', 'viewer-token'],
  'POST /api/requests': ['service-token', 'requester-token'],
  'GET /api/requests': ['service-token', 'requester-token', 'viewer-token'],
  'GET /api/requests/:id': ['service-token', 'requester-token', 'viewer-token'],
  'POST /api/requests/:id/confirm': ['service-token'],
  'POST /api/requests/:id/cancel': ['service-token'],
};

/** The trees registered whole (route-rules.ts PREFIX_RULES), each by one route in it. */
const TREES: Record<string, readonly Who[] | 'anyone'> = {
  'GET /assets/nhsuk-frontend.min.css': 'anyone',
  'GET /docs/swagger-ui.css': ['requester', 'other-requester', 'bars-team', 'viewer'],
  'GET /admin/queues': ['bars-team', 'viewer'],
  'GET /admin/queues/api/queues': ['bars-team', 'viewer'],
};

const EVERYONE: readonly Who[] = [
  'nobody',
  'requester',
  'other-requester',
  'bars-team',
  'viewer',
  'service-token',
  'requester-token',
  'viewer-token',
];

const SESSION_ROLES: Partial<
  Record<Who, { login: 'ada' | 'bob' | 'grace' | 'vic'; roles: Role[] }>
> = {
  requester: { login: 'ada', roles: ['requester'] },
  'other-requester': { login: 'bob', roles: ['requester'] },
  'bars-team': { login: 'grace', roles: ['bars-team'] },
  viewer: { login: 'vic', roles: ['viewer'] },
};

const headers: Partial<Record<Who, Record<string, string>>> = {};
let requestId = '';

/** Fresh sessions: walking POST /sign-out ends the ones it is walked with. */
async function signInEveryone(): Promise<void> {
  for (const [who, { login, roles }] of Object.entries(SESSION_ROLES)) {
    headers[who as Who] = { cookie: await sessionCookie(web.runtime, person(login), roles) };
  }
}

beforeEach(signInEveryone);

beforeAll(async () => {
  await signInEveryone();
  const tokens = createPersonalTokens(web.runtime.redis, web.prefix, () => new Date());
  const token = async (login: 'ada' | 'vic', roles: Role[]) =>
    (await tokens.create({ name: 'walk', person: person(login), roles }, 3600_000)).secret;
  headers['service-token'] = { authorization: `Bearer ${API_TOKEN}` };
  headers['requester-token'] = { authorization: `Bearer ${await token('ada', ['requester'])}` };
  headers['viewer-token'] = { authorization: `Bearer ${await token('vic', ['viewer'])}` };
  // The requester's own request, submitted with their personal token.
  const sent = await postRequest(web.app, requestBody(), headers['requester-token']);
  expect(sent.statusCode).toBe(202);
  requestId = sent.json<{ id: string }>().id;
});

function urlOf(route: string): { method: 'GET' | 'POST'; url: string } {
  const [method, pattern] = route.split(' ') as ['GET' | 'POST', string];
  const url = pattern
    .replace(':id', pattern.startsWith('/account') ? 'no-such-token' : requestId)
    .replace(':token', 'not-a-token')
    .replace(':draft', 'AAAAAAAAAAAAAAAAAAAAAA');
  return { method, url };
}

/** Whether the access gate let the request through to its route. */
function opened(response: LightMyRequestResponse): boolean {
  if (response.statusCode === 401) return false;
  if (response.statusCode === 303 && response.headers.location?.startsWith('/sign-in')) {
    return false;
  }
  // The gate's own refusals say who the route is for; a route's refusal (CSRF, not yours) does not.
  if (response.statusCode === 403) {
    return !/cannot open this page|is not one of yours|You cannot see this request/.test(
      response.body,
    );
  }
  return true;
}

describe('who may open what', () => {
  it('has an expectation for every route there is a rule for', () => {
    expect(Object.keys(OPENS).sort()).toEqual(Object.keys(ROUTE_RULES).sort());
    expect(PREFIX_RULES.map(([prefix]) => prefix).sort()).toEqual([
      '/admin/queues',
      '/assets/',
      '/docs/',
    ]);
  });

  for (const route of [...Object.keys(OPENS), ...Object.keys(TREES)]) {
    it(route, async () => {
      const { method, url } = urlOf(route);
      const rule = OPENS[route] ?? TREES[route] ?? [];
      const expected = rule === 'anyone' ? EVERYONE : rule;
      const seen: Record<string, boolean> = {};
      for (const who of EVERYONE) {
        const response = await web.app.inject({
          method,
          url,
          headers: {
            accept: 'text/html',
            ...(method === 'POST' && url.startsWith('/api/')
              ? { 'content-type': 'application/json' }
              : {}),
            ...headers[who],
          },
          ...(method === 'POST' && url.startsWith('/api/') ? { payload: '{}' } : {}),
        });
        seen[who] = opened(response);
      }
      expect(seen).toEqual(
        Object.fromEntries(EVERYONE.map((who) => [who, expected.includes(who)])),
      );
    });
  }

  it('sends a browser without a session to sign in, and back to the page afterwards', async () => {
    const response = await web.app.inject({
      url: '/requests?status=all',
      headers: { accept: 'text/html' },
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/sign-in?returnTo=%2Frequests%3Fstatus%3Dall');
  });

  it('never opens the API with the session cookie alone', async () => {
    const response = await web.app.inject({
      url: `/api/requests/${requestId}`,
      headers: headers['bars-team'],
    });
    expect(response.statusCode).toBe(401);
    expect(response.json<{ errors: { message: string }[] }>().errors[0]?.message).toMatch(/Bearer/);
  });

  it('refuses a session cookie whose signature does not hold', async () => {
    const cookie = String(headers.requester?.cookie);
    const forged = `${cookie.slice(0, -2)}xx`;
    const response = await web.app.inject({
      url: '/',
      headers: { cookie: forged, accept: 'text/html' },
    });
    expect(response.statusCode).toBe(303);
  });
});
