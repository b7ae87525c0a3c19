// Personal API tokens (README "API tokens"): a signed-in person makes tokens that act on the API
// with their roles, sees each secret once, and revokes them. Only a hash of the secret is kept.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PersonalTokens } from '../../ports/people.ts';
import { CSRF_FIELD, type Csrf } from './csrf.ts';
import { formValues } from './form-fields.ts';
import type { Views } from './views.ts';

export const TOKEN_DAYS = [7, 30, 90, 365] as const;
const NAME = /^[^\p{Cc}]{1,60}$/u;

export interface TokensPageDeps {
  tokens: PersonalTokens;
  csrf: Csrf;
  views: Views;
  now: () => number;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a Fastify plugin: kept async so a throw while registering rejects its promise, which avvio reports (it does not catch a synchronous throw)
export async function tokensPageRoutes(app: FastifyInstance, deps: TokensPageDeps): Promise<void> {
  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      created?: { name: string; secret: string; expiresAt: string };
      error?: string;
      revoked?: boolean;
      name?: string;
    } = {},
    status = 200,
  ) {
    // The route rule lets only a signed-in person here (personOnly).
    const person = request.principal.person;
    const tokens = person ? await deps.tokens.listFor(person.subject) : [];
    return deps.views.send(
      reply,
      'tokens.njk',
      {
        title: extra.error ? 'Error: Personal API tokens' : 'Personal API tokens',
        nav: 'tokens',
        tokens,
        roles: [...request.principal.roles].join(', '),
        days: TOKEN_DAYS,
        csrfField: CSRF_FIELD,
        csrf: deps.csrf.issue(deps.now(), request),
        ...extra,
      },
      status,
    );
  }

  app.get('/account/tokens', (request, reply) => page(request, reply));

  app.post('/account/tokens', async (request, reply) => {
    const values = formValues(request.body);
    if (!deps.csrf.verify(request, values[CSRF_FIELD], deps.now())) {
      return page(request, reply, { error: 'The page had expired. Try again.' }, 403);
    }
    const person = request.principal.person;
    if (!person) return reply.code(403).send('Personal tokens are for people who sign in.');
    const name = (values.name ?? '').trim();
    if (!NAME.test(name)) {
      return page(
        request,
        reply,
        { error: 'Enter a name for the token, up to 60 characters', name },
        400,
      );
    }
    const days = Number(values.days);
    if (!TOKEN_DAYS.includes(days as (typeof TOKEN_DAYS)[number])) {
      return page(request, reply, { error: 'Select how long the token works', name }, 400);
    }
    const { secret, token } = await deps.tokens.create(
      { name, person, roles: [...request.principal.roles] },
      days * 86_400_000,
    );
    request.log.info({ tokenId: token.id }, 'personal token created');
    // Shown in this answer only; no redirect, so it is never in a URL or the history.
    reply.header('cache-control', 'no-store');
    return page(request, reply, { created: { name, secret, expiresAt: token.expiresAt } }, 201);
  });

  app.post<{ Params: { id: string } }>('/account/tokens/:id/revoke', async (request, reply) => {
    const values = formValues(request.body);
    if (!deps.csrf.verify(request, values[CSRF_FIELD], deps.now())) {
      return page(request, reply, { error: 'The page had expired. Try again.' }, 403);
    }
    const person = request.principal.person;
    const revoked = person ? await deps.tokens.revoke(person.subject, request.params.id) : false;
    if (!revoked) return page(request, reply, { error: 'There is no such token' }, 404);
    request.log.info({ tokenId: request.params.id }, 'personal token revoked');
    return reply.redirect('/account/tokens?revoked=1', 303);
  });
}
