// Archive files: gzip-compressed NDJSON, one request record a line, exactly as Redis held it. A
// new archive is written under a temporary name in its folder, flushed to disk and renamed, so
// no half-written archive ever has the final name; it is read back a chunk at a time, never
// whole, whatever its size. The files hold personal data: created readable by their owner alone.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { RequestRecord } from '../../domain/request/record.ts';
import { UsageError } from './io.ts';

/** Owner read and write only: an archive holds requesters' names and email addresses. */
const PRIVATE = 0o600;

/**
 * Writes `chunks` (whole lines) to `path` through gzip: to a temporary file beside it, synced to
 * disk, checked by `check` (given the temporary file's path), then renamed to `path` and the
 * folder synced, so the name appears only with every byte of a checked file behind it. On any
 * failure the temporary file is removed and nothing has the name.
 */
export async function writeArchiveFile(
  path: string,
  chunks: AsyncIterable<string>,
  check: (partial: string) => Promise<void>,
): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const partial = join(folder, `.${basename(path)}.${randomUUID().slice(0, 8)}.partial`);
  try {
    // pipeline waits for each stage as the next drains it: a slow disk holds Redis reads back.
    // Each chunk is a page of records (megabytes): one is read ahead, not Readable.from's 16.
    // `flush` syncs the file to disk before it is closed, and pipeline waits for the close.
    await pipeline(
      Readable.from(chunks, { highWaterMark: 1 }),
      createGzip(),
      createWriteStream(partial, { flags: 'wx', mode: PRIVATE, flush: true }),
    );
    await check(partial);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

/** The rename itself reaches the disk only when the folder's entry does. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** zlib's codes for a file that is not gzip, or stops short (a copy cut off). */
const NOT_GZIP = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'ERR_PADDING_1', 'Z_STREAM_ERROR']);

/**
 * The lines of an archive, decompressed as they are read. A missing or unreadable file, or one
 * that is not complete gzip, is a UsageError naming it.
 */
export async function* archiveLines(path: string): AsyncGenerator<string> {
  const source = createReadStream(path);
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  gunzip.setEncoding('utf8');
  source.pipe(gunzip);
  let rest = '';
  try {
    for await (const chunk of gunzip as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${path}`, { cause: error });
    if (code !== undefined && NOT_GZIP.has(code)) {
      throw new UsageError(`${path} is not a complete gzip-compressed archive`, { cause: error });
    }
    if (code !== undefined) throw new UsageError(`cannot read ${path}: ${code}`, { cause: error });
    throw error;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (rest !== '') yield rest;
}

/** The record with that id in the archive, read line by line until it is found. */
export async function findInArchive(path: string, id: string): Promise<RequestRecord | undefined> {
  // Only a line that names the id is parsed: an archive of thousands is mostly skipped unread.
  const named = JSON.stringify(id);
  let number = 0;
  for await (const line of archiveLines(path)) {
    number += 1;
    if (!line.includes(named)) continue;
    const record = archivedRecord(line, path, number);
    if (record.id === id) return record;
  }
  return undefined;
}

/** One line of an archive as a record: JSON with an id, or a UsageError naming the line. */
export function archivedRecord(line: string, path: string, number: number): RequestRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new UsageError(`${path}: line ${number} is not JSON`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || !('id' in value)) {
    throw new UsageError(`${path}: line ${number} is not a request record`);
  }
  // A record ecat wrote itself (archive-request's input): its shape is the store's.
  return value as RequestRecord;
}
