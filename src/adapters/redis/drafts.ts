// Drafts in Redis: one JSON value per draft under `<prefix>:draft:<id>`, expiring on its own. The
// id is 128 random bits, so it can stand in the URL of the check page without naming anyone.
import { randomBytes } from 'node:crypto';
import {
  DRAFT_LIFETIME_MS,
  type Draft,
  type DraftAnswers,
  type Drafts,
} from '../../ports/drafts.ts';
import { onRedis, type Redis } from './connection.ts';

const DRAFT_ID = /^[A-Za-z0-9_-]{22}$/;

function parseDraft(json: string | null): Draft | undefined {
  // Only this module writes drafts, so what it reads back has the shape it wrote.
  return json === null ? undefined : (JSON.parse(json) as Draft);
}

export function createDrafts(redis: Redis, prefix: string): Drafts {
  const key = (id: string) => `${prefix}:draft:${id}`;
  return {
    save: (answers: DraftAnswers, assessed) =>
      onRedis(redis, async () => {
        const id = randomBytes(16).toString('base64url');
        const draft: Draft = { state: 'answers', answers, assessed };
        await redis.set(key(id), JSON.stringify(draft), 'PX', DRAFT_LIFETIME_MS);
        return id;
      }),
    load: (id) =>
      DRAFT_ID.test(id)
        ? onRedis(redis, async () => parseDraft(await redis.get(key(id))))
        : Promise.resolve(undefined),
    markSent: (id, requestId) =>
      onRedis(redis, async () => {
        const draft: Draft = { state: 'sent', requestId };
        await redis.set(key(id), JSON.stringify(draft), 'PX', DRAFT_LIFETIME_MS);
      }),
  };
}
