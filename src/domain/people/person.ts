// People and who acted (issue "People, not a shared password"): the roles a person may hold, the
// person a request was submitted by, and the actor every history entry names. Pure data.

/**
 * - `requester`: submits requests; sees and changes only their own.
 * - `bars-team`: sees every request; confirms, cancels, asks for changes; exports.
 * - `viewer`: the outstanding list, the queue dashboard and the metrics.
 */
export const ROLES = ['requester', 'bars-team', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A signed-in person, as the identity provider named them. */
export interface Person {
  /** The provider's stable subject identifier (`sub`): who owns what; pages show name and email. */
  subject: string;
  name: string;
  email: string;
  organisation?: string;
}

/** Who did something: a person, or one of ecat's own parts, named for people reading a history. */
export type Actor =
  | { kind: 'person'; subject: string; name: string; email: string }
  | { kind: 'system'; name: string };

const system = (name: string): Actor => ({ kind: 'system', name });

/** The actors that are not people, in the words a history shows them with. */
export const ACTORS = {
  worker: system('the worker'),
  proxy: system('the BaRS proxy'),
  emailLink: system('the BaRS team, by the email link'),
  requesterLink: system('the requester, by their status link'),
  cli: system('the command line'),
  serviceToken: system('the service token (API_TOKEN)'),
  admin: system('the admin (ADMIN_PASSWORD)'),
  localOperator: system('the local operator'),
  importer: system('the CSV import'),
} as const satisfies Record<string, Actor>;

export function personActor(person: Person): Actor {
  return { kind: 'person', subject: person.subject, name: person.name, email: person.email };
}

/** An actor in a few words: "Ada Lovelace (ada@nhs.net)", "the worker". */
export function actorName(actor: Actor): string {
  return actor.kind === 'person' ? `${actor.name} (${actor.email})` : actor.name;
}
