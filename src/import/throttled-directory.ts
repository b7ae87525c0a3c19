// The directory as a bulk import asks it: at most N requests a second (the DoS Search API allows
// 10 and answers 429 beyond), and one lookup per ODS code and environment. The cache key is the
// ODS code because today's DoS Search API answers by organisation (DOMAIN.md: lookup by service
// ID is on its roadmap, not live); many services of one trust then cost one request.
import type { Directory, DirectoryLookup } from '../careconnect/directory.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface ThrottledDirectory extends Directory {
  /** Lookups that reached the directory (cache misses). */
  readonly lookups: number;
}

export function throttledDirectory(directory: Directory, limiter: RateLimiter): ThrottledDirectory {
  const cache = new Map<string, Promise<DirectoryLookup>>();
  let lookups = 0;
  // The FHIR adapter reads the server's CapabilityStatement with its first lookup: that request
  // counts against the limit too, and lookups started beside it would each read it again. So
  // until one lookup has succeeded they go one at a time, each paying for two requests.
  let primed = false;
  let gate: Promise<unknown> = Promise.resolve();

  async function ask(query: Parameters<Directory['schedulingEndpoints']>[0]) {
    if (primed) {
      await limiter.take();
      lookups += 1;
      return directory.schedulingEndpoints(query);
    }
    const turn = gate.then(async () => {
      await limiter.take();
      if (!primed) await limiter.take();
      lookups += 1;
      const answer = await directory.schedulingEndpoints(query);
      primed = true;
      return answer;
    });
    gate = turn.catch(() => undefined);
    return turn;
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
