// A real OpenID Connect provider on loopback (oidc-provider, the certified one), with its own
// login and consent pages, for the sign-in tests: no mock of openid-client. Its people are
// PEOPLE below; their `roles` claim comes from UserInfo, as NHS CIS2 Authentication gives roles.
import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';

export interface TestPerson {
  name: string;
  email: string;
  roles: string[];
  organisation?: string;
}

/** Login names (any password) and what the provider says about each. */
export const PEOPLE = {
  ada: {
    name: 'Ada Lovelace',
    email: 'ada.lovelace@nhs.net',
    roles: ['ecat-requesters'],
    organisation: 'NHS North West',
  },
  bob: { name: 'Bob Okafor', email: 'bob.okafor@nhs.net', roles: ['ecat-requesters'] },
  grace: { name: 'Grace Hopper', email: 'grace.hopper@nhs.net', roles: ['ecat-bars'] },
  vic: { name: 'Vic Patel', email: 'vic.patel@nhs.net', roles: ['ecat-viewers'] },
  nora: { name: 'Nora Nobody', email: 'nora@nhs.net', roles: [] },
} as const satisfies Record<string, TestPerson>;

/** What ecat needs to trust this provider, as environment variables. */
export function oidcEnv(provider: { issuer: string }, ecatBase: string): Record<string, string> {
  return {
    OIDC_ISSUER: provider.issuer,
    OIDC_CLIENT_ID: 'ecat',
    OIDC_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_REDIRECT_URL: `${ecatBase}/auth/callback`,
    PUBLIC_URL: ecatBase,
    ROLE_CLAIM: 'roles',
    ROLE_REQUESTER: 'ecat-requesters',
    ROLE_BARS_TEAM: 'ecat-bars',
    ROLE_VIEWER: 'ecat-viewers',
  };
}

const CLIENT_SECRET = 'a-client-secret-for-the-loopback-provider-only';

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

/** Starts the provider on a free loopback port, for an ecat served at `ecatBase`. */
export async function startOidcProvider(ecatBases: readonly string[]): Promise<TestProvider> {
  // The issuer must be known before the port is: listen first, then build the provider on it.
  const route: { to?: (request: IncomingMessage, response: ServerResponse) => void } = {};
  const server = createServer((request, response) => {
    if (route.to) route.to(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'ecat',
        client_secret: CLIENT_SECRET,
        redirect_uris: ecatBases.map((base) => `${base}/auth/callback`),
        post_logout_redirect_uris: ecatBases.map((base) => `${base}/signed-out`),
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'roles', 'organisation'],
    },
    findAccount: (_context: unknown, id: string) => {
      const person = (PEOPLE as Record<string, TestPerson | undefined>)[id];
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          name: person.name,
          email: person.email,
          email_verified: true,
          roles: person.roles,
          ...(person.organisation ? { organisation: person.organisation } : {}),
        }),
      };
    },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    // Stated, so the provider does not print a notice for each default it falls back on.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  const callback = provider.callback();
  route.to = (request, response) => {
    void callback(request, response);
  };
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
