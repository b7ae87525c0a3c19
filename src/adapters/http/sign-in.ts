// Sign-in and sign-out by OpenID Connect (README "Sign-in and roles"): /sign-in sends the browser
// to the provider with PKCE, state and nonce kept in Redis (any instance takes the callback);
// /auth/callback turns the provider's answer into a person and their roles, starts a session
// under a new id and returns to the page asked for. Without a provider configured, the routes say
// so: the local modes need no sign-in.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { personFromClaims, rolesFor } from '../../domain/people/claims.ts';
import {
  SignInError,
  type IdentityProvider,
  type PendingSignIns,
  type Sessions,
} from '../../ports/people.ts';
import type { OidcConfig } from '../../wiring/people-config.ts';
import type { Signer } from '../signing.ts';
import { fromOurSite } from './csrf.ts';
import { clearSessionCookie, sessionIdOf, setSessionCookie } from './session-cookie.ts';
import type { Views } from './views.ts';

export interface SignInDeps {
  /** Absent: sign-in is not configured. */
  oidc?: { config: OidcConfig; provider: IdentityProvider };
  sessions: Sessions;
  pending: PendingSignIns;
  signer: Signer;
  views: Views;
  sessionHours: number;
  /** PUBLIC_URL: where the provider sends people back after signing out. */
  publicUrl: string;
  now: () => Date;
}

/** A path on this site to return to: never another site (`//evil`, `/\evil`, `https:`). */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !/^\/(?![/\\])/.test(value) || /[\r\n]/.test(value)) return '/';
  return value;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function signInRoutes(app: FastifyInstance, deps: SignInDeps): Promise<void> {
  const { views } = deps;
  const problem = (reply: FastifyReply, heading: string, message: string, status: number) =>
    views.send(
      reply,
      'message.njk',
      { title: heading, heading, message, link: { href: '/sign-in', text: 'Sign in again' } },
      status,
    );

  app.setErrorHandler((error, request, reply) => {
    if (!(error instanceof SignInError)) throw error;
    request.log.warn({ err: error.message }, 'sign-in failed');
    return problem(
      reply,
      'Sorry, you could not be signed in',
      'The sign-in service did not complete your sign-in. Try again in a few minutes.',
      502,
    );
  });

  app.get<{ Querystring: { returnTo?: string } }>('/sign-in', async (request, reply) => {
    if (!deps.oidc) {
      return views.send(
        reply,
        'message.njk',
        {
          title: 'Sign-in is not set up',
          heading: 'Sign-in is not set up',
          message:
            'This ecat has no sign-in provider (OIDC_ISSUER): it is opened on this machine, or with the admin password.',
          link: { href: '/', text: 'Go to the request form' },
        },
        404,
      );
    }
    const { url, state, pending } = await deps.oidc.provider.begin(
      safeReturnTo(request.query.returnTo),
    );
    await deps.pending.save(state, pending);
    return reply.redirect(url, 303);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/auth/callback',
    async (request, reply) => {
      if (!deps.oidc) return reply.redirect('/sign-in', 303);
      const { state, error } = request.query;
      if (error !== undefined) {
        request.log.warn({ error }, 'the provider refused the sign-in');
        return problem(
          reply,
          'You were not signed in',
          'The sign-in was cancelled or refused.',
          403,
        );
      }
      const pending = state === undefined ? undefined : await deps.pending.take(state);
      if (state === undefined || !pending) {
        return problem(
          reply,
          'Your sign-in has expired',
          'Sign-ins must be finished within 10 minutes, once. Sign in again.',
          400,
        );
      }
      // The provider checks this against the registered redirect URL: build it from that, not
      // from whatever Host this request came in with.
      const callback = new URL(deps.oidc.config.redirectUrl);
      callback.search = new URL(request.url, 'http://ecat.invalid').search;
      const { claims, idToken } = await deps.oidc.provider.finish(callback, state, pending);
      const found = personFromClaims(claims, deps.oidc.config.organisationClaim);
      if ('missing' in found) {
        request.log.warn({ missing: found.missing }, 'sign-in without a needed claim');
        return problem(
          reply,
          'You could not be signed in',
          `The sign-in service did not give your ${found.missing === 'sub' ? 'identifier' : 'email address'}, which ecat needs. Ask the sign-in service's administrators to release it (scope "email").`,
          403,
        );
      }
      const roles = rolesFor(found.person, claims, deps.oidc.config);
      if (roles.length === 0) {
        request.log.info('signed in without any role');
        return views.send(
          reply,
          'message.njk',
          {
            title: 'You do not have access',
            heading: 'You do not have access to ecat',
            message: `You signed in as ${found.person.name} (${found.person.email}), but no role in ecat is given to you. Ask the BaRS team to add you.`,
          },
          403,
        );
      }
      // A new id at every sign-in, so an id planted before it is worth nothing after.
      const previous = sessionIdOf(request, deps.signer);
      if (previous !== undefined) await deps.sessions.delete(previous);
      const lifetimeMs = deps.sessionHours * 3600_000;
      const id = await deps.sessions.create(
        {
          person: found.person,
          roles,
          signedInAt: deps.now().toISOString(),
          ...(idToken ? { idToken } : {}),
        },
        lifetimeMs,
      );
      setSessionCookie(request, reply, deps.signer, id, lifetimeMs / 1000);
      request.log.info({ roles }, 'signed in');
      return reply.redirect(safeReturnTo(pending.returnTo), 303);
    },
  );

  // A cross-site form cannot sign anyone out: the Lax cookie does not go with it, and the browser
  // says where it came from.
  app.post('/sign-out', async (request, reply) => {
    if (!fromOurSite(request)) return reply.code(403).send('Sign out from ecat itself.');
    const id = sessionIdOf(request, deps.signer);
    const session = id === undefined ? undefined : await deps.sessions.get(id);
    if (id !== undefined) await deps.sessions.delete(id);
    clearSessionCookie(request, reply);
    // Signed out of ecat whatever the provider says: if its sign-out page cannot be found, the
    // person is told they are signed out here, and the log says why the provider was skipped.
    const providerSignOut =
      deps.oidc && session
        ? await deps.oidc.provider
            .signOutUrl(session.idToken, `${deps.publicUrl}/signed-out`)
            .catch((error: unknown) => {
              request.log.warn({ err: (error as Error).message }, 'provider sign-out skipped');
              return undefined;
            })
        : undefined;
    return reply.redirect(providerSignOut ?? '/signed-out', 303);
  });

  app.get('/signed-out', (_request, reply) =>
    views.send(reply, 'message.njk', {
      title: 'You have signed out',
      heading: 'You have signed out',
      message: 'You have signed out of BaRS Endpoint Catalogue requests.',
      link: { href: '/sign-in', text: 'Sign in again' },
    }),
  );
}
