// A describe block's own place to work: a fresh Redis key prefix and a temporary folder, both
// removed after the block.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { deletePrefix, uniquePrefix } from './ecat.ts';

export interface Scratch {
  readonly prefix: string;
  /** The temporary folder; set once the block's beforeAll has run. */
  readonly dir: string;
}

export function useScratch(name: string): Scratch {
  const scratch = { prefix: uniquePrefix(name), dir: '' };
  beforeAll(async () => {
    scratch.dir = await mkdtemp(join(tmpdir(), `ecat-${name}-`));
  });
  afterAll(async () => {
    await deletePrefix(scratch.prefix);
    await rm(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
