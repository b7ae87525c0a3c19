// Who is asking: the principal the access gate (access.ts) finds for every request before a route
// runs, and the questions routes ask of it. Local mode, the admin password and the service token
// act with every role; a person acts with the roles their sign-in gave them.
import type { FastifyRequest } from 'fastify';
import {
  ACTORS,
  personActor,
  ROLES,
  type Actor,
  type Person,
  type Role,
} from '../../domain/people/person.ts';
import type { RequestRecord } from '../../domain/request/record.ts';

export type CredentialKind =
  | 'local'
  | 'admin-password'
  | 'service-token'
  | 'personal-token'
  | 'session'
  | 'signed-link'
  | 'none';

export interface Principal {
  /** Named in the history of whatever this principal changes. */
  actor: Actor;
  /** Present for a signed-in person and their personal tokens. */
  person?: Person;
  roles: ReadonlySet<Role>;
  via: CredentialKind;
  /** The session a page was served under: forms posted back are bound to it (csrf.ts). */
  sessionId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const EVERY_ROLE: ReadonlySet<Role> = new Set(ROLES);
const NO_ROLE: ReadonlySet<Role> = new Set();

export const LOCAL_OPERATOR: Principal = {
  actor: ACTORS.localOperator,
  roles: EVERY_ROLE,
  via: 'local',
};
export const ADMIN: Principal = { actor: ACTORS.admin, roles: EVERY_ROLE, via: 'admin-password' };
export const SERVICE: Principal = {
  actor: ACTORS.serviceToken,
  roles: EVERY_ROLE,
  via: 'service-token',
};
/** Before the gate has decided, and for routes open to anyone (health, sign-in, signed links). */
export const NOBODY: Principal = { actor: ACTORS.localOperator, roles: NO_ROLE, via: 'none' };

export function personPrincipal(
  person: Person,
  roles: readonly Role[],
  via: 'session' | 'personal-token',
  sessionId?: string,
): Principal {
  return {
    actor: personActor(person),
    person,
    roles: new Set(roles),
    via,
    ...(sessionId ? { sessionId } : {}),
  };
}

export function hasAnyRole(principal: Principal, roles: readonly Role[]): boolean {
  return roles.some((role) => principal.roles.has(role));
}

/** The BaRS team and viewers see every request; a requester alone sees their own. */
export function seesEveryRequest(principal: Principal): boolean {
  return hasAnyRole(principal, ['bars-team', 'viewer']);
}

/** Whether this principal may read a request: all of them, or one they submitted. */
export function canSee(principal: Principal, record: Pick<RequestRecord, 'submittedBy'>): boolean {
  if (seesEveryRequest(principal)) return true;
  return isSubmitter(principal, record);
}

/** Whether this principal submitted the request (a requester may change only their own). */
export function isSubmitter(
  principal: Principal,
  record: Pick<RequestRecord, 'submittedBy'>,
): boolean {
  return (
    principal.roles.has('requester') &&
    (principal.person === undefined
      ? principal.via !== 'none' // every-role principals (local, admin, service) act for anyone
      : record.submittedBy?.subject === principal.person.subject)
  );
}

export function principalOf(request: FastifyRequest): Principal {
  return request.principal;
}
