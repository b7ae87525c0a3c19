// The CSV `ecat import` reads: a file by name, scanned first and then read a chunk at a time
// (domain/csv/encoding.ts), or standard input, read once as UTF-8.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseCsvStream } from '../../domain/csv/csv.ts';
import {
  decode,
  isDecodingError,
  NotUtf8Error,
  openCsvBytes,
  type CsvInput,
} from '../../domain/csv/encoding.ts';
import { UsageError } from './io.ts';

const CHUNK_BYTES = 64 * 1024;

async function* fileBytes(path: string): AsyncGenerator {
  try {
    yield* createReadStream(path, { highWaterMark: CHUNK_BYTES });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(
      code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code}`,
    );
  }
}

/** A file, scanned first (domain/csv/encoding.ts). A missing file is a usage error. */
export function openCsvFile(path: string): Promise<CsvInput> {
  return openCsvBytes(() => fileBytes(path));
}

/** Standard input: read once, so it cannot be scanned first; it must be UTF-8. */
export function csvFromStdin(stdin: Readable): CsvInput {
  async function* text() {
    try {
      yield* decode(stdin, 'utf-8');
    } catch (error) {
      if (!isDecodingError(error)) throw error;
      throw new NotUtf8Error(
        'standard input is not UTF-8: save the file as "CSV UTF-8", or import it by name (a file that is not UTF-8 is read as Windows-1252)',
      );
    }
  }
  return { encoding: 'utf-8', read: () => parseCsvStream(text()) };
}
