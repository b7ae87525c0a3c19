// The directory as a bulk import asks it: at most N requests a second (the DoS Search API allows
// 10 and answers 429 beyond), and one lookup per ODS code and environment. The cache key is the
// ODS code because the DoS Search API answers by organisation (DOMAIN.md: lookup by service ID is
// on its roadmap, not live); many services of one trust then cost one request. A lookup is one
// request (no /metadata), so one token of the limiter pays for it; the adapter's retries of a 429
// or 5xx within the lookup take no token of their own.
import type { Directory, DirectoryLookup } from '../../ports/directory.ts';
import type { RateLimiter } from '../rate-limiter.ts';

export interface ThrottledDirectory extends Directory {
  /** Lookups that reached the directory (cache misses). */
  readonly lookups: number;
}

export function throttledDirectory(directory: Directory, limiter: RateLimiter): ThrottledDirectory {
  const cache = new Map<string, Promise<DirectoryLookup>>();
  let lookups = 0;

  async function ask(query: Parameters<Directory['schedulingEndpoints']>[0]) {
    await limiter.take();
    lookups += 1;
    return directory.schedulingEndpoints(query);
  }

  return {
    get lookups() {
      return lookups;
    },
    schedulingEndpoints(query) {
      const key = `${query.environment}:${query.odsCode}`;
      let answer = cache.get(key);
      if (!answer) {
        // Rows of the same organisation arriving together share the one pending lookup.
        answer = ask(query);
        cache.set(key, answer);
        // A failed lookup is not an answer: the next row of that organisation asks again.
        answer.catch(() => cache.delete(key));
      }
      return answer;
    },
  };
}
