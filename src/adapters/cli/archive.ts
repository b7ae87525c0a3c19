// `ecat archive --before DATE [--out FILE]`: the closed requests (configured or cancelled) last
// changed before DATE move from Redis to a gzip-compressed NDJSON file. Two steps, in this order:
// the file is written whole (a page of records at a time), synced, read back and checked, and
// renamed to its name; only then is each record in it taken out of Redis, by a script that keeps
// any record changed since it was read. A failure before the rename removes nothing.
import { access } from 'node:fs/promises';
import { londonDate, type IsoDate } from '../../domain/dates.ts';
import { archiveCutoff, CLOSED_STATUSES, isArchivable } from '../../domain/request/archiving.ts';
import {
  createRequestArchive,
  type RequestArchive,
  type StoredRecord,
} from '../redis/requests/archive.ts';
import { systemClock } from '../../wiring/foundation.ts';
import { archivedRecord, archiveLines, writeArchiveFile } from './archive-file.ts';
import { defineCommand, REDIS_UNREACHABLE } from './command.ts';
import { EXIT, UsageError, writeLine } from './io.ts';
import { withRuntime } from './with-runtime.ts';

/** Records read from Redis at a time, and taken out at a time (one round trip each). */
const PAGE = 500;
const REMOVE_BATCH = 100;
/** A progress line on stderr every this many records, so a long run shows it is moving. */
const PROGRESS_EVERY = 5000;

export interface Written {
  /** Closed records looked at. */
  read: number;
  /** Lines in the archive. */
  archived: number;
}

export interface Removed {
  removed: number;
  /** Changed after the archive was written: still in Redis. */
  changed: number;
  /** No longer in Redis (another archive run took it). */
  gone: number;
}

/**
 * Step one: every closed record last changed before `before`, exactly as stored, to the archive
 * at `path`; then the file is read back and each line checked before it is trusted. With nothing
 * to archive no file is made. Records are read by position (as `ecat list` pages them): one
 * closed meanwhile can push the last of a page onto the next, so ids of the page before are
 * skipped, and never written twice.
 */
export async function writeArchive(
  archive: RequestArchive,
  before: IsoDate,
  path: string,
  progress: (line: string) => void = () => undefined,
): Promise<Written> {
  const counts: Written = { read: 0, archived: 0 };
  let nextReport = PROGRESS_EVERY;
  async function* lines(): AsyncGenerator<string> {
    for (const status of CLOSED_STATUSES) {
      let cursor: string | undefined;
      let previous = new Set<string>();
      do {
        const page = await archive.closedPage(status, {
          limit: PAGE,
          ...(cursor ? { cursor } : {}),
        });
        const current = new Set<string>();
        let text = '';
        for (const { json, record } of page.items) {
          current.add(record.id);
          if (previous.has(record.id) || !isArchivable(record, before)) continue;
          text += `${json}\n`;
          counts.archived += 1;
        }
        counts.read += page.items.length;
        if (counts.read >= nextReport) {
          progress(`${counts.read} closed requests read, ${counts.archived} to archive`);
          nextReport += PROGRESS_EVERY;
        }
        previous = current;
        cursor = page.nextCursor;
        if (text !== '') yield text;
      } while (cursor !== undefined);
    }
  }
  // The first line decides whether there is a file at all: none for an empty archive.
  const source = lines();
  const first = await source.next();
  if (first.done === true) return counts;
  async function* all(): AsyncGenerator<string> {
    yield first.value;
    yield* source;
  }
  await writeArchiveFile(path, all(), async (partial) => {
    let lineCount = 0;
    for await (const line of archiveLines(partial)) {
      lineCount += 1;
      archivedRecord(line, partial, lineCount);
    }
    if (lineCount !== counts.archived) {
      throw new Error(
        `the archive read back holds ${lineCount} records, not the ${counts.archived} written`,
      );
    }
  });
  return counts;
}

/**
 * Step two: each record in the archive at `path` taken out of Redis with every key and index
 * entry filed under it, unless it changed since it was written (then it stays, and the file
 * holds its earlier copy). The file is read again rather than the records kept from step one,
 * so memory stays flat and what leaves Redis is exactly what the file holds.
 */
export async function removeArchived(
  archive: RequestArchive,
  path: string,
  progress: (line: string) => void = () => undefined,
): Promise<Removed> {
  const counts: Removed = { removed: 0, changed: 0, gone: 0 };
  let batch: StoredRecord[] = [];
  let done = 0;
  let number = 0;
  const flush = async () => {
    for (const outcome of await archive.remove(batch)) counts[outcome] += 1;
    done += batch.length;
    if (done % PROGRESS_EVERY < batch.length) progress(`${done} taken out of Redis`);
    batch = [];
  };
  for await (const json of archiveLines(path)) {
    number += 1;
    batch.push({ json, record: archivedRecord(json, path, number) });
    if (batch.length === REMOVE_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return counts;
}

/** `var/archive/ecat-archive-2026-04-01-20261201T140500Z.ndjson.gz`, relative to where ecat runs. */
export function defaultArchivePath(before: IsoDate, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `var/archive/ecat-archive-${before}-${stamp}.ndjson.gz`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export const command = defineCommand(
  {
    about: [
      'Writes every configured or cancelled request last changed (its last history entry, London',
      'date) before DATE to a gzip-compressed NDJSON file, one record a line as Redis held it; the',
      'file is synced and read back before anything is removed. Then takes each of them out of',
      'Redis with its indexes and reference; one that changed meanwhile is kept. Read a record',
      'back with `ecat show --archive FILE ID`. The file holds personal data: keep it encrypted.',
    ],
    options: {
      before: {
        type: 'string',
        value: 'YYYY-MM-DD',
        description: 'archive requests last changed before this day (today or earlier); required',
      },
      out: {
        type: 'string',
        value: 'FILE',
        description:
          'the archive to write (default var/archive/ecat-archive-<before>-<time>.ndjson.gz)',
      },
    },
    exits: { 0: 'archived (also when there was nothing to archive)', 3: REDIS_UNREACHABLE },
  },
  async ({ values }, io) => {
    if (values.before === undefined) {
      throw new UsageError('missing --before YYYY-MM-DD: the day archived requests changed before');
    }
    const now = systemClock();
    const cutoff = archiveCutoff(values.before, londonDate(now));
    if (!cutoff.ok) throw new UsageError(cutoff.reason);
    const path = values.out ?? defaultArchivePath(cutoff.date, now);
    if (await exists(path)) throw new UsageError(`${path} exists: an archive is never overwritten`);
    return withRuntime(io, async ({ redis, config }) => {
      const archive = createRequestArchive(redis, config.queuePrefix);
      const progress = (line: string) => {
        writeLine(io.stderr, `ecat archive: ${line}`);
      };
      const written = await writeArchive(archive, cutoff.date, path, progress);
      if (written.archived === 0) {
        writeLine(
          io.stdout,
          `nothing to archive: no configured or cancelled request last changed before ${cutoff.date} (${written.read} looked at)`,
        );
        return EXIT.ok;
      }
      const removed = await removeArchived(archive, path, progress);
      const kept =
        removed.changed === 0
          ? ''
          : ` (still in Redis; ${path} holds the copy from before the change)`;
      const gone = removed.gone === 0 ? '' : `, ${removed.gone} already gone from Redis`;
      writeLine(
        io.stdout,
        `${removed.removed} archived to ${path}, ${removed.changed} kept because changed${kept}${gone}`,
      );
      return EXIT.ok;
    });
  },
);
