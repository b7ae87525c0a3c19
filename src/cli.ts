// The command line's entry: `bin/ecat.js` runs its build (dist/src/cli.js); `npm run dev` runs it
// from source through tsx, and Node 22.18 or later can run it as it is (`node src/cli.ts`).
import { main } from './adapters/cli/main.ts';

await main(process.argv.slice(2));
