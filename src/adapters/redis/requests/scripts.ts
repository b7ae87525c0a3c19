// The store's Lua scripts, one file per atomic operation in ./scripts/, defined on a connection
// as named commands. Defined before the runtime caches scripts (connection.ts: keepScriptsCached), so a
// restarted Redis gets them back before the next MULTI that uses one.
import { readFileSync } from 'node:fs';
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../connection.ts';

const lua = (file: string) => readFileSync(new URL(`./scripts/${file}`, import.meta.url), 'utf8');

/** Command name, file, and the number of keys when it is fixed. */
const SCRIPTS = [
  ['ecatFindDuplicates', 'find-duplicates.lua', undefined],
  ['ecatAcceptRequest', 'accept-request.lua', 7],
  ['ecatWithdrawRequest', 'withdraw-request.lua', undefined],
  ['ecatChangeStatus', 'change-status.lua', 9],
  ['ecatAddNote', 'add-note.lua', 1],
  ['ecatChangeTestDates', 'change-test-dates.lua', 4],
] as const;

const SOURCES = SCRIPTS.map(([name, file, numberOfKeys]) => ({
  name,
  lua: lua(file),
  numberOfKeys,
}));

/** The commands as ioredis adds them, on the connection and on a MULTI made from it. */
export interface RequestScripts {
  ecatFindDuplicates(numberOfKeys: number, ...keys: string[]): Promise<(string | null)[]>;
  ecatWithdrawRequest(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
  ecatChangeStatus(...keysThenArgs: string[]): Promise<number>;
  ecatAddNote(record: string, expected: string, next: string): Promise<number>;
  ecatChangeTestDates(...keysThenArgs: string[]): Promise<number>;
}

export interface RequestTransactionScripts {
  ecatAcceptRequest(...keysThenArgs: string[]): ChainableCommander;
}

export function defineRequestScripts(redis: Redis): RequestScripts {
  for (const { name, lua, numberOfKeys } of SOURCES) {
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
  }
  return redis as unknown as RequestScripts;
}

/** The store's scripts on a MULTI of a connection they were defined on. */
export function inTransaction(multi: ChainableCommander): RequestTransactionScripts {
  return multi as unknown as RequestTransactionScripts;
}
