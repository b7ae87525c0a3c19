// The directory as a bulk import asks it: one lookup per ODS code and environment. The cache key is
// the ODS code because the DoS Search API answers by organisation (DOMAIN.md: lookup by service ID
// is on its roadmap, not live); many services of one trust then cost one request. The pace of the
// requests is the directory's own (wiring/directory.ts), shared with every other process.
import type { Directory, DirectoryLookup } from '../../ports/directory.ts';

export interface SharedLookups extends Directory {
  /** Lookups that reached the directory (cache misses). */
  readonly lookups: number;
}

export function sharedLookups(directory: Directory): SharedLookups {
  const cache = new Map<string, Promise<DirectoryLookup>>();
  let lookups = 0;

  return {
    get lookups() {
      return lookups;
    },
    schedulingEndpoints(query) {
      const key = `${query.environment}:${query.odsCode}`;
      let answer = cache.get(key);
      if (!answer) {
        // Rows of the same organisation arriving together share the one pending lookup.
        lookups += 1;
        answer = directory.schedulingEndpoints(query);
        cache.set(key, answer);
        // A failed lookup is not an answer: the next row of that organisation asks again.
        answer.catch(() => cache.delete(key));
      }
      return answer;
    },
  };
}
