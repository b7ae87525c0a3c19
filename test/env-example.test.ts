// .env.example names every variable the configuration knows, and nothing else: a newcomer who
// copies it sees every setting, and a variable renamed or removed in config.ts cannot linger there.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../src/wiring/config.ts';

const EXAMPLE = new URL('../.env.example', import.meta.url);

/** The keys of `KEY=value` lines, commented out (`# KEY=`) or not, in the order they appear. */
function exampleKeys(text: string): string[] {
  return [...text.matchAll(/^(?:#\s*)?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
}

describe('.env.example', () => {
  it('names only variables the configuration knows', async () => {
    const keys = exampleKeys(await readFile(EXAMPLE, 'utf8'));
    expect(keys.filter((key) => !CONFIG_VARIABLES.includes(key))).toEqual([]);
  });

  it('names every variable the configuration knows, once', async () => {
    const keys = exampleKeys(await readFile(EXAMPLE, 'utf8'));
    expect(CONFIG_VARIABLES.filter((variable) => !keys.includes(variable))).toEqual([]);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it('reads the commented-out lines as well as set ones', () => {
    expect(exampleKeys('# REDIS_URL=redis://x\nPORT=1\n#HOST=\n# Entra ID instead: A=b')).toEqual([
      'REDIS_URL',
      'PORT',
      'HOST',
    ]);
  });
});
