// Sessions, sign-ins under way and personal tokens in Redis. Session ids and token secrets are
// 256 random bits; a token is kept under the SHA-256 of its secret, never the secret itself, and
// every key expires on its own.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  PendingSignIn,
  PendingSignIns,
  PersonalToken,
  PersonalTokens,
  Session,
  Sessions,
} from '../../ports/people.ts';
import { onRedis, type Redis } from './connection.ts';

/** Personal tokens start so, to be told apart from API_TOKEN and found by secret scanners. */
export const TOKEN_PREFIX = 'ecat_pat_';
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const TOKEN_SECRET = /^ecat_pat_[A-Za-z0-9_-]{43}$/;
const PENDING_LIFETIME_MS = 10 * 60_000;

// Only this module writes these keys, so what it reads back has the shape it wrote.
const parsedSession = (json: string | null) =>
  json === null ? undefined : (JSON.parse(json) as Session);
const parsedPending = (json: string | null) =>
  json === null ? undefined : (JSON.parse(json) as PendingSignIn);
const parsedToken = (json: string | null) =>
  json === null ? undefined : (JSON.parse(json) as PersonalToken);

export function createSessions(redis: Redis, prefix: string): Sessions {
  const key = (id: string) => `${prefix}:session:${id}`;
  return {
    create: (session, lifetimeMs) =>
      onRedis(redis, async () => {
        const id = randomBytes(32).toString('base64url');
        await redis.set(key(id), JSON.stringify(session), 'PX', lifetimeMs);
        return id;
      }),
    get: (id) =>
      SESSION_ID.test(id)
        ? onRedis(redis, async () => parsedSession(await redis.get(key(id))))
        : Promise.resolve(undefined),
    delete: (id) =>
      onRedis(redis, async () => {
        await redis.del(key(id));
      }),
  };
}

export function createPendingSignIns(redis: Redis, prefix: string): PendingSignIns {
  const key = (state: string) =>
    `${prefix}:sign-in:${createHash('sha256').update(state).digest('hex')}`;
  return {
    save: (state, pending) =>
      onRedis(redis, async () => {
        await redis.set(key(state), JSON.stringify(pending), 'PX', PENDING_LIFETIME_MS);
      }),
    take: (state) => onRedis(redis, async () => parsedPending(await redis.getdel(key(state)))),
  };
}

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

export function createPersonalTokens(
  redis: Redis,
  prefix: string,
  now: () => Date,
): PersonalTokens {
  const byHash = (hash: string) => `${prefix}:token:${hash}`;
  // The owner's tokens: id → hash, so a list or a revocation needs no secret.
  const owned = (subject: string) => `${prefix}:tokens-of:${digest(subject)}`;
  return {
    create: (draft, lifetimeMs) =>
      onRedis(redis, async () => {
        const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
        const at = now();
        const token: PersonalToken = {
          ...draft,
          id: randomUUID(),
          createdAt: at.toISOString(),
          expiresAt: new Date(at.getTime() + lifetimeMs).toISOString(),
        };
        const hash = digest(secret);
        await redis
          .multi()
          .set(byHash(hash), JSON.stringify(token), 'PX', lifetimeMs)
          .hset(owned(draft.person.subject), token.id, hash)
          .exec();
        return { secret, token };
      }),
    find: (secret) =>
      TOKEN_SECRET.test(secret)
        ? onRedis(redis, async () => {
            const token = parsedToken(await redis.get(byHash(digest(secret))));
            return token && Date.parse(token.expiresAt) > now().getTime() ? token : undefined;
          })
        : Promise.resolve(undefined),
    listFor: (subject) =>
      onRedis(redis, async () => {
        const hashes = await redis.hgetall(owned(subject));
        const entries = Object.entries(hashes);
        if (entries.length === 0) return [];
        const documents = await redis.mget(entries.map(([, hash]) => byHash(hash)));
        // Expired ones have left on their own: forget their ids too.
        const gone = entries.filter((_entry, i) => documents[i] === null).map(([id]) => id);
        if (gone.length > 0) await redis.hdel(owned(subject), ...gone);
        return documents
          .map(parsedToken)
          .filter((token): token is PersonalToken => token !== undefined)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      }),
    revoke: (subject, id) =>
      onRedis(redis, async () => {
        const hash = await redis.hget(owned(subject), id);
        if (hash === null) return false;
        await redis.multi().del(byHash(hash)).hdel(owned(subject), id).exec();
        return true;
      }),
  };
}
