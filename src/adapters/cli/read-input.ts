// Reads the JSON request a command was given: a file, or standard input for `-`.
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { UsageError } from './io.ts';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export type JsonInput = { ok: true; value: unknown } | { ok: false; message: string };

/** A missing file is a usage error (exit 2); text that is not JSON is a refusal the caller reports. */
export async function readJsonInput(path: string, stdin: Readable): Promise<JsonInput> {
  let text: string;
  if (path === '-') {
    text = await readAll(stdin);
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `no such file: ${path}`
          : `cannot read ${path}: ${code ?? 'unknown error'}`,
      );
    }
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${(error as Error).message}` };
  }
}

/** Splits `--flag` options from positional arguments, refusing flags the command does not know. */
export function parseArgs(
  args: string[],
  known: { flags?: string[]; options?: string[] },
): { positional: string[]; flags: Set<string>; options: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Set<string>();
  const options = new Map<string, string>();
  const rest = [...args];
  for (let arg = rest.shift(); arg !== undefined; arg = rest.shift()) {
    if (arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
    } else if (known.flags?.includes(arg)) {
      flags.add(arg);
    } else if (known.options?.includes(arg.replace(/=.*/s, ''))) {
      const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
      const value = inline ?? rest.shift();
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options.set(name, value);
    } else {
      throw new UsageError(`unknown option ${arg}`);
    }
  }
  return { positional, flags, options };
}

export function onePath(positional: string[]): string {
  const [path] = positional;
  if (positional.length !== 1 || path === undefined) {
    throw new UsageError('give one FILE, or - for standard input');
  }
  return path;
}
