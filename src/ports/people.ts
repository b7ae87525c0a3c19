// Where signed-in people are kept between requests: their sessions, the sign-ins under way (the
// state, nonce and PKCE verifier an OpenID Connect round trip needs), and their personal API
// tokens. Any instance can serve the next request; the Redis adapter keeps them.
import { EcatError } from '../domain/errors.ts';
import type { Person, Role } from '../domain/people/person.ts';

export interface Session {
  person: Person;
  roles: Role[];
  /** ISO 8601 instant of sign-in. */
  signedInAt: string;
  /** The ID token, for the provider's sign-out (RP-initiated logout) when it offers one. */
  idToken?: string;
}

export interface Sessions {
  /** Starts a session under a new unguessable id, for `lifetimeMs`. */
  create(session: Session, lifetimeMs: number): Promise<string>;
  get(id: string): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
}

/** What a sign-in carries from the redirect to the provider back to its callback. */
export interface PendingSignIn {
  codeVerifier: string;
  nonce: string;
  /** The page to return to: a path on this site. */
  returnTo: string;
}

export interface PendingSignIns {
  save(state: string, pending: PendingSignIn): Promise<void>;
  /** Read once: a callback replayed with the same state finds nothing. */
  take(state: string): Promise<PendingSignIn | undefined>;
}

export interface PersonalToken {
  id: string;
  /** The owner's label for it: "my laptop", "team script". */
  name: string;
  person: Person;
  /** The roles the owner held when they made it; the token acts with these. */
  roles: Role[];
  createdAt: string;
  expiresAt: string;
}

export interface PersonalTokens {
  /** Makes a token and answers its secret, shown to its owner once: only its hash is kept. */
  create(
    token: Omit<PersonalToken, 'id' | 'createdAt' | 'expiresAt'>,
    lifetimeMs: number,
  ): Promise<{ secret: string; token: PersonalToken }>;
  /** The token a presented secret stands for, while it is unexpired and not revoked. */
  find(secret: string): Promise<PersonalToken | undefined>;
  listFor(subject: string): Promise<PersonalToken[]>;
  /** False when the person has no such token. */
  revoke(subject: string, id: string): Promise<boolean>;
}

/** The OpenID Connect provider, as sign-in sees it (authorization code with PKCE). */
export interface IdentityProvider {
  /** The provider's page to send the browser to, and what its callback must be checked against. */
  begin(returnTo: string): Promise<{ url: string; state: string; pending: PendingSignIn }>;
  /** The claims (ID token, then UserInfo) of the person the callback brings back. */
  finish(
    callbackUrl: URL,
    state: string,
    pending: PendingSignIn,
  ): Promise<{ claims: Record<string, unknown>; idToken?: string }>;
  /** The provider's sign-out page, when it has one. */
  signOutUrl(idToken: string | undefined, returnTo: string): Promise<string | undefined>;
}

/** The provider could not be reached, or refused the sign-in: the person is told, and may retry. */
export class SignInError extends EcatError {
  override readonly name = 'SignInError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
}
