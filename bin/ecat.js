#!/usr/bin/env node
// The `ecat` command: runs the TypeScript CLI through tsx, so it works straight after
// `npm install`, from any folder and however it is started (npx, npm exec, an installed bin).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/adapters/cli/main.ts');
await main(process.argv.slice(2));
