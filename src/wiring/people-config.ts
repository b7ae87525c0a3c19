// The settings for people (README "Sign-in and roles"): the OpenID Connect provider, how a
// person's claims map to roles, the secrets everything handed out is signed with, and which proxies
// are believed about the client's address, scheme and host.
import { z } from 'zod';
import { ConfigError } from '../domain/errors.ts';
import type { Role } from '../domain/people/person.ts';
import type { ClaimMapping, RoleGrant } from '../domain/people/claims.ts';
import { optionalText, optionalUrl, wholeNumber, withDefault } from './env-fields.ts';

export const peopleEnv = {
  OIDC_ISSUER: optionalUrl(['https:', 'http:']),
  OIDC_CLIENT_ID: optionalText,
  OIDC_CLIENT_SECRET: optionalText,
  OIDC_SCOPES: withDefault('openid profile email'),
  OIDC_REDIRECT_URL: optionalUrl(['https:', 'http:']),
  ROLE_CLAIM: withDefault('roles'),
  ORGANISATION_CLAIM: withDefault('nhsid_user_orgs.org_name'),
  ROLE_REQUESTER: withDefault('*'),
  ROLE_BARS_TEAM: optionalText,
  ROLE_VIEWER: optionalText,
  SESSION_HOURS: wholeNumber(8, 1, 24 * 30),
  LINK_DAYS: wholeNumber(30, 1, 365),
  SIGNING_SECRETS: optionalText,
  TRUST_PROXY: optionalText,
};

type PeopleEnv = z.infer<z.ZodObject<typeof peopleEnv>>;

/** Never printed with a configuration error. */
export const PEOPLE_SECRETS = ['OIDC_CLIENT_SECRET', 'SIGNING_SECRETS'];

export interface OidcConfig extends ClaimMapping {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string;
  redirectUrl: string;
}

export interface PeopleConfig {
  /** Absent: no sign-in; the local modes (loopback, ADMIN_PASSWORD) act with every role. */
  oidc?: OidcConfig;
  sessionHours: number;
  /** How long the BaRS team's "mark as configured" link in the email works. */
  linkDays: number;
  /** Newest first; empty: one is made once in Redis and shared by every instance. */
  signingSecrets: Buffer[];
  /** Fastify's `trustProxy`: false, a hop count, or addresses and ranges. */
  trustProxy: false | number | string[];
}

function grant(text: string | undefined): RoleGrant {
  const entries = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return {
    everyone: entries.includes('*'),
    claimValues: entries.filter((entry) => entry !== '*' && !entry.includes('@')),
    emails: entries.filter((entry) => entry.includes('@')).map((email) => email.toLowerCase()),
  };
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function oidcConfig(e: PeopleEnv, publicUrl: string): OidcConfig | undefined {
  if (e.OIDC_ISSUER === undefined) {
    const stray = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL'] as const).find(
      (name) => e[name] !== undefined,
    );
    if (stray) throw new ConfigError(`${stray} is set but OIDC_ISSUER is not: set both or neither`);
    return undefined;
  }
  const issuer = new URL(e.OIDC_ISSUER);
  // Tokens and codes cross this connection: plain HTTP only to a provider on this machine (tests).
  if (issuer.protocol === 'http:' && !LOOPBACK_HOST.test(issuer.hostname)) {
    throw new ConfigError('OIDC_ISSUER must be https:// (http:// only for a provider on loopback)');
  }
  if (e.OIDC_CLIENT_ID === undefined) {
    throw new ConfigError('OIDC_CLIENT_ID must be set with OIDC_ISSUER');
  }
  const roles = {
    requester: grant(e.ROLE_REQUESTER),
    'bars-team': grant(e.ROLE_BARS_TEAM),
    viewer: grant(e.ROLE_VIEWER),
  } satisfies Record<Role, RoleGrant>;
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    ...(e.OIDC_CLIENT_SECRET !== undefined ? { clientSecret: e.OIDC_CLIENT_SECRET } : {}),
    scopes: e.OIDC_SCOPES,
    redirectUrl: e.OIDC_REDIRECT_URL ?? `${publicUrl}/auth/callback`,
    roleClaim: e.ROLE_CLAIM,
    organisationClaim: e.ORGANISATION_CLAIM,
    roles,
  };
}

function signingSecrets(text: string | undefined): Buffer[] {
  const secrets = (text ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter(Boolean);
  if (secrets.some((secret) => secret.length < 32)) {
    throw new ConfigError(
      'SIGNING_SECRETS must be a comma-separated list, newest first, of secrets of at least 32 characters',
    );
  }
  return secrets.map((secret) => Buffer.from(secret, 'utf8'));
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const ADDRESS_OR_RANGE = /^[0-9a-f:.]+(\/\d{1,3})?$/i;

function trustProxy(text: string | undefined): PeopleConfig['trustProxy'] {
  if (text === undefined || text === 'false') return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim());
  const bad = entries.find((entry) => !PROXY_NAMES.has(entry) && !ADDRESS_OR_RANGE.test(entry));
  if (bad !== undefined) {
    throw new ConfigError(
      `TRUST_PROXY must be a number of hops, or addresses and ranges (10.0.0.0/8, loopback, linklocal, uniquelocal), comma-separated (got '${bad}')`,
    );
  }
  return entries;
}

export function peopleConfig(e: PeopleEnv, publicUrl: string): PeopleConfig {
  const oidc = oidcConfig(e, publicUrl);
  return {
    ...(oidc ? { oidc } : {}),
    sessionHours: e.SESSION_HOURS,
    linkDays: e.LINK_DAYS,
    signingSecrets: signingSecrets(e.SIGNING_SECRETS),
    trustProxy: trustProxy(e.TRUST_PROXY),
  };
}
