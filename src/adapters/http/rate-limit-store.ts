// Where @fastify/rate-limit counts a client's posts: in Redis, so every `ecat serve` behind a load
// balancer counts the same posts, one counter per route and client address. Ours rather than the
// plugin's own Redis store because of how it fails: the plugin passes a store's error on as it is
// (a 500), or with `skipOnError` lets every post through unlimited; here a Redis outage becomes
// DependencyUnavailableError, which the error handlers answer 503 with Retry-After.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { onRedis, type Redis } from '../redis/connection.ts';

/**
 * A fixed window per key, as the plugin's own Redis store keeps it: the first post starts the
 * window (its expiry), later ones count within it. A key that somehow lost its expiry gets one.
 *
 * KEYS[1] the counter; ARGV[1] the window (ms). Returns {posts in this window, ms left of it}.
 */
const HIT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

interface HitCommands {
  ecatRateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
}

type HitCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/** What the plugin hands `child()`: its merged settings, the route under `routeInfo`. */
interface RouteSettings {
  routeInfo?: { method?: string | string[]; url?: string };
}

/**
 * The store for `rateLimit`'s `store` option, its keys `${nameSpace}${method}${url}-${address}`
 * (the plugin's own Redis store's, so `nameSpace` may be `${QUEUE_PREFIX}:rate-limit:`).
 */
export function redisRateLimitStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  redis.defineCommand('ecatRateLimitHit', { lua: HIT, numberOfKeys: 1 });
  const commands = redis as unknown as HitCommands;

  // The plugin makes one with its global settings (unused here), then a child per limited route.
  return class RedisRateLimitStore implements FastifyRateLimitStore {
    keyPrefix = nameSpace;

    incr(key: string, callback: HitCallback, timeWindow: number): void {
      onRedis(redis, () => commands.ecatRateLimitHit(`${this.keyPrefix}${key}`, timeWindow)).then(
        ([current, ttl]) => {
          callback(null, { current, ttl });
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }

    child(routeOptions: object): FastifyRateLimitStore {
      // Its types call this the route's options; the plugin passes its settings for the route.
      const { routeInfo } = routeOptions as RouteSettings;
      const child = new RedisRateLimitStore();
      child.keyPrefix = `${nameSpace}${[routeInfo?.method ?? ''].flat().join(',')}${routeInfo?.url ?? ''}-`;
      return child;
    }
  };
}
