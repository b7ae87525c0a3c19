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
