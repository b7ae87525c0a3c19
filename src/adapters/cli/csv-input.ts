// The CSV an import reads, as records a chunk at a time, never the whole file in memory. A file is
// scanned once first: is it UTF-8 (else it is Excel's "CSV" from Windows, read as Windows-1252),
// how many rows does it hold (for the progress bar), and is it CSV all through (so a broken quote
// near the end refuses the file before any row is stored). Standard input is read once, as UTF-8.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { EcatError } from '../../domain/errors.ts';
import { CsvParser, CsvSyntaxError, parseCsvStream, type CsvRecord } from '../../domain/csv/csv.ts';
import { UsageError } from './io.ts';

export type TextEncoding = 'utf-8' | 'windows-1252';

export interface CsvInput {
  encoding: TextEncoding;
  /** Records in the file, the header included; unknown for standard input. */
  records?: number;
  /** The first syntax error in the file, found by the scan before anything is stored. */
  syntaxError?: CsvSyntaxError;
  read(): AsyncGenerator<CsvRecord>;
}

/** Standard input holds bytes that are not UTF-8. */
export class NotUtf8Error extends EcatError {
  override readonly name = 'NotUtf8Error';
  override readonly kind = 'invalid';
  override readonly retryable = false;
}

const CHUNK_BYTES = 64 * 1024;

function isDecodingError(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
}

function bytesOf(chunk: unknown): Uint8Array {
  // A stream in object mode (a test's Readable.from(['…'])) may hand over strings.
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array);
}

/** The text of a byte stream. UTF-8 is decoded strictly (a stray byte throws); its BOM is dropped. */
async function* decode(bytes: AsyncIterable<unknown>, encoding: TextEncoding) {
  const decoder = new TextDecoder(encoding, { fatal: true });
  for await (const chunk of bytes) yield decoder.decode(bytesOf(chunk), { stream: true });
  yield decoder.decode();
}

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

type Scan = { records: number; syntaxError?: CsvSyntaxError } | 'not-utf-8';

async function scanAs(path: string, encoding: TextEncoding): Promise<Scan> {
  const parser = new CsvParser();
  let records = 0;
  let syntaxError: CsvSyntaxError | undefined;
  const parse = (records: () => CsvRecord[]) => {
    if (syntaxError) return 0;
    try {
      return records().length;
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      syntaxError = error;
      return 0;
    }
  };
  try {
    // Read to the end even after a syntax error: whether the file is UTF-8 decides how it is read.
    for await (const text of decode(fileBytes(path), encoding)) {
      records += parse(() => parser.push(text));
    }
  } catch (error) {
    if (isDecodingError(error)) return 'not-utf-8';
    throw error;
  }
  records += parse(() => parser.end());
  return syntaxError ? { records, syntaxError } : { records };
}

/** A file, scanned first (see the top of this file). A missing file is a usage error. */
export async function openCsvFile(path: string): Promise<CsvInput> {
  let encoding: TextEncoding = 'utf-8';
  let scan = await scanAs(path, encoding);
  if (scan === 'not-utf-8') {
    // Windows-1252 gives every byte a character, so this scan cannot fail on the encoding.
    encoding = 'windows-1252';
    scan = await scanAs(path, encoding);
    if (scan === 'not-utf-8') throw new Error(`${path}: Windows-1252 refused a byte`);
  }
  return { encoding, ...scan, read: () => parseCsvStream(decode(fileBytes(path), encoding)) };
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
