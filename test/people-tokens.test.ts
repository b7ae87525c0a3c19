// Personal API tokens (README "API tokens"): made on /account/tokens by a signed-in person, shown
// once, kept only as a hash, acting on the API with the person's roles, refused once revoked or
// expired. API_TOKEN stays the service token with every role.
import { describe, expect, it } from 'vitest';
import { createPersonalTokens } from '../src/adapters/redis/people.ts';
import { requestBody } from './support/ecat.ts';
import { person, sessionCookie, useSignIn } from './support/people.ts';
import { csrfOf, postRequest } from './support/web.ts';

const web = useSignIn('people-tokens', { API_TOKEN: 'people-tokens-service' });
const form = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' };

/** Makes a token on the page, as its owner does: the secret is in that one answer. */
async function makeToken(cookie: string, name: string): Promise<string> {
  const page = await web.app.inject({ url: '/account/tokens', headers: { cookie } });
  expect(page.statusCode).toBe(200);
  const made = await web.app.inject({
    method: 'POST',
    url: '/account/tokens',
    headers: { ...form, cookie },
    payload: new URLSearchParams({ _csrf: csrfOf(page.body), name, days: '30' }).toString(),
  });
  expect(made.statusCode).toBe(201);
  expect(made.headers['cache-control']).toBe('no-store');
  const secret = /ecat_pat_[A-Za-z0-9_-]{43}/.exec(made.body)?.[0];
  if (!secret) throw new Error('no token on the page');
  return secret;
}

describe('personal API tokens', () => {
  it('acts with its owner’s role: a requester submits and reads their own, and may not confirm', async () => {
    const cookie = await sessionCookie(web.runtime, person('ada'), ['requester']);
    const secret = await makeToken(cookie, 'ada laptop');
    const auth = { authorization: `Bearer ${secret}` };

    const sent = await postRequest(web.app, requestBody({ dosServiceId: '41000001' }), auth);
    expect(sent.statusCode).toBe(202);
    const { id } = sent.json<{ id: string }>();
    const read = await web.app.inject({ url: `/api/requests/${id}`, headers: auth });
    expect(read.statusCode).toBe(200);
    expect(read.json<{ submittedBy?: { email: string } }>().submittedBy?.email).toBe(
      'ada.lovelace@nhs.net',
    );

    const confirm = await web.app.inject({
      method: 'POST',
      url: `/api/requests/${id}/confirm`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(confirm.statusCode).toBe(403);

    // Another requester's token neither reads it nor lists it.
    const bobs = await makeToken(
      await sessionCookie(web.runtime, person('bob'), ['requester']),
      'bob script',
    );
    const refused = await web.app.inject({
      url: `/api/requests/${id}`,
      headers: { authorization: `Bearer ${bobs}` },
    });
    expect(refused.statusCode).toBe(403);
    const list = await web.app.inject({
      url: '/api/requests?status=all',
      headers: { authorization: `Bearer ${bobs}` },
    });
    expect(list.json<{ items: { id: string }[] }>().items.map((item) => item.id)).not.toContain(id);
    // The service token sees everything.
    const service = await web.app.inject({
      url: `/api/requests/${id}`,
      headers: { authorization: 'Bearer people-tokens-service' },
    });
    expect(service.statusCode).toBe(200);
  });

  it('shows the secret once: the list names the token, never its secret; only a hash is kept', async () => {
    const cookie = await sessionCookie(web.runtime, person('vic'), ['viewer']);
    const secret = await makeToken(cookie, 'grafana');
    const list = await web.app.inject({ url: '/account/tokens', headers: { cookie } });
    expect(list.body).toContain('grafana');
    expect(list.body).not.toContain(secret);
    const keys = await web.runtime.redis.keys(`${web.prefix}:token:*`);
    const stored = await Promise.all(keys.map((key) => web.runtime.redis.get(key)));
    expect(keys.join(' ') + stored.join(' ')).not.toContain(secret);
  });

  it('is refused once revoked', async () => {
    const cookie = await sessionCookie(web.runtime, person('vic'), ['viewer']);
    const secret = await makeToken(cookie, 'to revoke');
    const auth = { authorization: `Bearer ${secret}` };
    expect((await web.app.inject({ url: '/metrics', headers: auth })).statusCode).toBe(200);

    const page = await web.app.inject({ url: '/account/tokens', headers: { cookie } });
    const id = /\/account\/tokens\/([0-9a-f-]{36})\/revoke/.exec(page.body)?.[1];
    const revoked = await web.app.inject({
      method: 'POST',
      url: `/account/tokens/${id}/revoke`,
      headers: { ...form, cookie },
      payload: new URLSearchParams({ _csrf: csrfOf(page.body) }).toString(),
    });
    expect(revoked.statusCode).toBe(303);
    expect((await web.app.inject({ url: '/metrics', headers: auth })).statusCode).toBe(401);
  });

  it('is refused once expired', async () => {
    let now = Date.parse('2026-12-01T09:00:00Z');
    const tokens = createPersonalTokens(web.runtime.redis, web.prefix, () => new Date(now));
    const { secret } = await tokens.create(
      { name: 'short', person: person('ada'), roles: ['requester'] },
      60_000,
    );
    expect(await tokens.find(secret)).toBeDefined();
    now += 61_000;
    expect(await tokens.find(secret)).toBeUndefined();
  });

  it('cannot be made without the page’s CSRF token, or by someone not signed in', async () => {
    const cookie = await sessionCookie(web.runtime, person('ada'), ['requester']);
    const forged = await web.app.inject({
      method: 'POST',
      url: '/account/tokens',
      headers: { ...form, cookie },
      payload: 'name=x&days=30',
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).not.toMatch(/ecat_pat_/);
    // A CSRF token from another person's session does not pass under this one.
    const other = await sessionCookie(web.runtime, person('bob'), ['requester']);
    const othersPage = await web.app.inject({ url: '/account/tokens', headers: { cookie: other } });
    const crossed = await web.app.inject({
      method: 'POST',
      url: '/account/tokens',
      headers: { ...form, cookie },
      payload: new URLSearchParams({
        _csrf: csrfOf(othersPage.body),
        name: 'x',
        days: '30',
      }).toString(),
    });
    expect(crossed.statusCode).toBe(403);
  });
});
