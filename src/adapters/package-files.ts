// The files ecat ships (config/, templates/) are found from the package, not the working
// directory, so `ecat` runs from any folder; a variable that names a file is read as given.
import { fileURLToPath } from 'node:url';

export function packagePath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}
