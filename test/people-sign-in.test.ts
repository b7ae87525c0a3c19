// Sign-in by OpenID Connect without a browser (the Chromium journey is test/browser/sign-in.test.ts):
// the redirect to the provider with PKCE, state and nonce; callbacks that must fail; cookies as
// TRUST_PROXY says the page was served; sign-out; the shared signing secret; the settings; and how
// claims from NHS CIS2 Authentication and Entra ID become a person and roles.
import { describe, expect, it } from 'vitest';
import { createSigner } from '../src/adapters/signing.ts';
import { claimValues, personFromClaims, rolesFor } from '../src/domain/people/claims.ts';
import { safeReturnTo } from '../src/adapters/http/sign-in.ts';
import { loadConfig } from '../src/wiring/config.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { useServer } from './support/web.ts';
import { deletePrefix, testConfig, testEnv, uniquePrefix } from './support/ecat.ts';
import { person, sessionCookie, useSignIn } from './support/people.ts';

const web = useSignIn('people-sign-in');

describe('the round trip to the provider', () => {
  it('sends the browser to the provider with PKCE (S256), a state and a nonce', async () => {
    const response = await web.app.inject({ url: '/sign-in?returnTo=%2Frequests' });
    expect(response.statusCode).toBe(303);
    const to = new URL(String(response.headers.location));
    expect(to.origin).toBe(web.provider.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(to.searchParams.get('state')).toBeTruthy();
    expect(to.searchParams.get('nonce')).toBeTruthy();
    expect(to.searchParams.get('redirect_uri')).toBe(`${web.base}/auth/callback`);
  });

  it('refuses a callback whose state it never gave, or gave and took back', async () => {
    const response = await web.app.inject({ url: '/auth/callback?code=x&state=made-up' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Your sign-in has expired');
    expect(response.headers['set-cookie']).toBeUndefined();

    // A real state with a code the provider never issued: refused there, and the state is spent.
    const begun = await web.app.inject({ url: '/sign-in' });
    const state = new URL(String(begun.headers.location)).searchParams.get('state') ?? '';
    const callback = `/auth/callback?code=forged&state=${encodeURIComponent(state)}`;
    const forged = await web.app.inject({ url: callback });
    expect(forged.statusCode).toBe(502);
    expect(forged.body).toContain('could not be signed in');
    expect(forged.headers['set-cookie']).toBeUndefined();
    expect((await web.app.inject({ url: callback })).statusCode).toBe(400);
  });

  it('says so when the provider refused the sign-in', async () => {
    const response = await web.app.inject({
      url: '/auth/callback?error=access_denied&state=x',
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('returns only to a page on this site', () => {
    expect(safeReturnTo('/requests?status=all')).toBe('/requests?status=all');
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example',
      '',
      undefined,
      '/x\r\nSet-Cookie: a=b',
    ]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});

describe('sign-out', () => {
  it('ends the session, clears the cookie and goes to the provider’s sign-out', async () => {
    const cookie = await sessionCookie(web.runtime, person('ada'), ['requester']);
    expect((await web.app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);
    const out = await web.app.inject({ method: 'POST', url: '/sign-out', headers: { cookie } });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers.location)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/session\/end/);
    expect(String(out.headers['set-cookie'])).toMatch(/ecat_session=;.*Max-Age=0/);
    const after = await web.app.inject({ url: '/', headers: { cookie, accept: 'text/html' } });
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/sign-in?returnTo=%2F');
  });

  it('is refused from another site’s page', async () => {
    const cookie = await sessionCookie(web.runtime, person('ada'), ['requester']);
    const out = await web.app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(out.statusCode).toBe(403);
    expect((await web.app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);
  });
});

describe('cookies and the proxy in front (TRUST_PROXY)', () => {
  const trusted = useServer('people-proxy', {
    TRUST_PROXY: 'loopback',
    API_TOKEN: 't-1',
    ADMIN_PASSWORD: 'p-1',
  });
  const untrusted = useServer('people-no-proxy', { API_TOKEN: 't-2', ADMIN_PASSWORD: 'p-2' });
  const viaHttps = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'ecat.example.nhs.uk' };

  it('marks the cookie Secure when a trusted proxy says the page came over HTTPS', async () => {
    const out = await trusted.app.inject({ method: 'POST', url: '/sign-out', headers: viaHttps });
    expect(String(out.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Lax; Max-Age=0; Secure$/);
  });

  it('does not believe X-Forwarded-* from a client it does not trust', async () => {
    const out = await untrusted.app.inject({ method: 'POST', url: '/sign-out', headers: viaHttps });
    expect(String(out.headers['set-cookie'])).not.toMatch(/Secure/);
    // The forwarded host is not taken as ours, so a post naming it as its origin is refused.
    const post = await untrusted.app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { ...viaHttps, origin: 'https://ecat.example.nhs.uk' },
    });
    expect(post.statusCode).toBe(403);
  });

  it('takes the forwarded host as ours behind a trusted proxy (the CSRF origin check)', async () => {
    const post = await trusted.app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { ...viaHttps, origin: 'https://ecat.example.nhs.uk' },
    });
    expect(post.statusCode).toBe(303);
  });
});

describe('the signing secret', () => {
  it('is made once in Redis and shared by every process on the same prefix', async () => {
    const prefix = uniquePrefix('people-secret');
    const [one, two] = await Promise.all([
      openRuntime(testConfig(prefix)),
      openRuntime(testConfig(prefix)),
    ]);
    try {
      const signature = one.signer.sign('link', 'req-1');
      expect(two.signer.verify('link', 'req-1', signature)).toBe(true);
      expect(two.signer.verify('csrf', 'req-1', signature)).toBe(false);
    } finally {
      await Promise.all([one.close(), two.close()]);
      await deletePrefix(prefix);
    }
  });

  it('rotates: the newest signs, an older one still verifies, a dropped one does not', () => {
    const older = Buffer.from('o'.repeat(32));
    const newer = Buffer.from('n'.repeat(32));
    const before = createSigner([older]).sign('session', 'id');
    const during = createSigner([newer, older]);
    expect(during.verify('session', 'id', before)).toBe(true);
    expect(during.sign('session', 'id')).not.toBe(before);
    expect(createSigner([newer]).verify('session', 'id', before)).toBe(false);
  });

  it('uses SIGNING_SECRETS when given, so nothing is kept in Redis', async () => {
    const prefix = uniquePrefix('people-configured-secret');
    const runtime = await openRuntime(
      testConfig(prefix, { SIGNING_SECRETS: `${'a'.repeat(40)},${'b'.repeat(40)}` }),
    );
    try {
      expect(await runtime.redis.exists(`${prefix}:signing-secret`)).toBe(0);
      const older = createSigner([Buffer.from('b'.repeat(40))]).sign('link', 'x');
      expect(runtime.signer.verify('link', 'x', older)).toBe(true);
    } finally {
      await runtime.close();
      await deletePrefix(prefix);
    }
  });
});

describe('the settings', () => {
  const load = (extra: Record<string, string>) => () => loadConfig(testEnv('ecat', extra));

  it('refuses a half-set or unsafe sign-in, and names the variable', () => {
    expect(load({ OIDC_ISSUER: 'https://login.example.nhs.uk' })).toThrow(/^OIDC_CLIENT_ID/);
    expect(load({ OIDC_CLIENT_ID: 'ecat' })).toThrow(/OIDC_CLIENT_ID is set but OIDC_ISSUER/);
    expect(load({ OIDC_ISSUER: 'http://login.example.nhs.uk', OIDC_CLIENT_ID: 'x' })).toThrow(
      /OIDC_ISSUER must be https/,
    );
    expect(load({ SIGNING_SECRETS: 'short' })).toThrow(/^SIGNING_SECRETS/);
    expect(load({ SIGNING_SECRETS: 'short' })).not.toThrow(/short'/);
    expect(load({ TRUST_PROXY: 'everyone' })).toThrow(/^TRUST_PROXY .*'everyone'/);
  });

  it('reads a sign-in with its roles, defaulting the callback to PUBLIC_URL', () => {
    const config = loadConfig(
      testEnv('ecat', {
        OIDC_ISSUER: 'https://login.example.nhs.uk',
        OIDC_CLIENT_ID: 'ecat',
        PUBLIC_URL: 'https://ecat.example.nhs.uk/',
        ROLE_CLAIM: 'groups',
        ROLE_BARS_TEAM: 'g-bars, lead@nhs.net',
        TRUST_PROXY: '10.0.0.0/8,loopback',
      }),
    );
    expect(config.people.oidc?.redirectUrl).toBe('https://ecat.example.nhs.uk/auth/callback');
    expect(config.people.oidc?.roles['bars-team']).toEqual({
      everyone: false,
      claimValues: ['g-bars'],
      emails: ['lead@nhs.net'],
    });
    expect(config.people.oidc?.roles.requester.everyone).toBe(true);
    expect(config.people.trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
  });
});

describe('claims to a person and roles', () => {
  const mapping = (roleClaim: string) => ({
    roleClaim,
    organisationClaim: 'nhsid_user_orgs.org_name',
    roles: {
      requester: { everyone: false, claimValues: ['S8000:G8000:R8001'], emails: [] },
      'bars-team': { everyone: false, claimValues: ['3f1c-bars'], emails: ['lead@nhs.net'] },
      viewer: { everyone: false, claimValues: [], emails: [] },
    },
  });

  it('reads NHS CIS2 Authentication’s UserInfo: RBAC role codes and organisations', () => {
    const claims = {
      sub: '910000000001',
      name: 'Dr Ada Lovelace',
      email: 'ada.lovelace@nhs.net',
      nhsid_nrbac_roles: [
        {
          role_code: 'S8000:G8000:R8001',
          role_name: '"Clinical":"Clinical Provision":"Nurse"',
          org_code: 'RX1',
        },
      ],
      nhsid_user_orgs: [{ org_code: 'RX1', org_name: 'NHS North West Trust' }],
    };
    const found = personFromClaims(claims, 'nhsid_user_orgs.org_name');
    expect(found).toEqual({
      person: {
        subject: '910000000001',
        name: 'Dr Ada Lovelace',
        email: 'ada.lovelace@nhs.net',
        organisation: 'NHS North West Trust',
      },
    });
    if (!('person' in found)) throw new Error('no person');
    expect(rolesFor(found.person, claims, mapping('nhsid_nrbac_roles.role_code'))).toEqual([
      'requester',
    ]);
  });

  it('reads Entra ID’s groups and preferred_username, and an allow-listed email', () => {
    const claims = { sub: 'abc', preferred_username: 'Lead@nhs.net', groups: ['other'] };
    const found = personFromClaims(claims, 'nhsid_user_orgs.org_name');
    if (!('person' in found)) throw new Error('no person');
    expect(found.person.name).toBe('Lead@nhs.net');
    expect(rolesFor(found.person, claims, mapping('groups'))).toEqual(['bars-team']);
    expect(rolesFor(found.person, { ...claims, groups: ['3f1c-bars'] }, mapping('groups'))).toEqual(
      ['bars-team'],
    );
  });

  it('names a missing claim rather than inventing a person', () => {
    expect(personFromClaims({ sub: 'x' }, 'o')).toEqual({ missing: 'email' });
    expect(personFromClaims({ email: 'a@nhs.net' }, 'o')).toEqual({ missing: 'sub' });
    expect(claimValues({ a: [{ b: 'x' }, { b: 2 }, { c: 'y' }] }, 'a.b')).toEqual(['x', '2']);
  });
});

describe('without a provider', () => {
  const local = useServer('people-local');
  it('answers /sign-in with a page saying sign-in is not set up', async () => {
    const response = await local.app.inject({ url: '/sign-in' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Sign-in is not set up');
  });

  it('keeps the local modes: the form opens on loopback with every role', async () => {
    const response = await local.app.inject({ url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('Sign out');
  });
});
