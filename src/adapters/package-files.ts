// The files ecat ships (config/, templates/) are found from the package, not the working
// directory, so `ecat` runs from any folder; a variable that names a file is read as given. The
// package's root is the nearest folder above this file holding package.json: the same whether
// this runs from src/ (tests, `npm run dev`) or from the build in dist/src/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('ecat cannot find its package.json above its files');
    folder = parent;
  }
  return folder;
}

const ROOT = packageRoot();

export function packagePath(relative: string): string {
  return join(ROOT, relative);
}

/** ecat's version (package.json's): in every log line and in the API's OpenAPI document. */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }
).version;
