// After `tsc -p tsconfig.build.json`: the files under src/ that are not TypeScript (the Lua
// scripts Redis runs, the API browser's start script) go beside the compiled ones in dist/src/,
// where the code reads them from (`new URL('./x.lua', import.meta.url)`).
import { cp, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src');
const target = join(root, 'dist', 'src');

let copied = 0;
for (const entry of await readdir(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
  const from = join(entry.parentPath, entry.name);
  await cp(from, join(target, relative(source, from)));
  copied += 1;
}
console.log(`copied ${copied} files that are not TypeScript into dist/src`);
