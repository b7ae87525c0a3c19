// From what an identity provider says about a person (ID token and UserInfo claims) to a Person and
// their roles. NHS CIS2 Authentication gives roles and organisations from UserInfo
// (`nhsid_nrbac_roles`, `nhsid_user_orgs`); Entra ID gives groups in the ID token. Which claim
// carries roles, and which values or email addresses grant each role, is configuration.
import { ROLES, type Person, type Role } from './person.ts';

export type Claims = Readonly<Record<string, unknown>>;

/** Who holds a role: `*` (anyone signed in), claim values, or email addresses. */
export interface RoleGrant {
  everyone: boolean;
  claimValues: readonly string[];
  /** Lower-case. */
  emails: readonly string[];
}

export interface ClaimMapping {
  /** A dotted path: `groups`, `roles`, `nhsid_nrbac_roles.role_code`. */
  roleClaim: string;
  organisationClaim: string;
  roles: Readonly<Record<Role, RoleGrant>>;
}

/** Every string at a dotted path, through arrays and objects: `nhsid_user_orgs.org_name`. */
export function claimValues(claims: unknown, path: string): string[] {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return [];
  if (Array.isArray(claims)) return claims.flatMap((item) => claimValues(item, path));
  if (typeof claims !== 'object' || claims === null) return [];
  const value = (claims as Record<string, unknown>)[head];
  if (rest.length > 0) return claimValues(value, rest.join('.'));
  const leaves = Array.isArray(value) ? value : [value];
  return leaves
    .filter((leaf) => typeof leaf === 'string' || typeof leaf === 'number')
    .map(String)
    .filter((leaf) => leaf.trim() !== '');
}

function firstString(claims: Claims, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The person the claims name, or the claim that is missing. */
export function personFromClaims(
  claims: Claims,
  organisationClaim: string,
): { person: Person } | { missing: string } {
  const subject = firstString(claims, 'sub');
  if (!subject) return { missing: 'sub' };
  // Entra ID puts the address in preferred_username when no email claim is released.
  const email = firstString(claims, 'email', 'preferred_username', 'upn');
  if (!email?.includes('@')) return { missing: 'email' };
  const given = [firstString(claims, 'given_name'), firstString(claims, 'family_name')]
    .filter(Boolean)
    .join(' ');
  const name = firstString(claims, 'name') ?? (given || email);
  const [organisation] = claimValues(claims, organisationClaim);
  return { person: { subject, name, email, ...(organisation ? { organisation } : {}) } };
}

export function rolesFor(person: Person, claims: Claims, mapping: ClaimMapping): Role[] {
  const held = new Set(claimValues(claims, mapping.roleClaim));
  const email = person.email.toLowerCase();
  return ROLES.filter((role) => {
    const grant = mapping.roles[role];
    return (
      grant.everyone ||
      grant.emails.includes(email) ||
      grant.claimValues.some((value) => held.has(value))
    );
  });
}
