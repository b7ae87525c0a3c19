// The CSV an import reads, from its bytes, as records a chunk at a time (never the whole text in
// memory). Bytes that can be read twice (a file, an upload) are scanned once first: are they UTF-8
// (else they are Excel's "CSV" from Windows, read as Windows-1252), how many records do they hold
// (for the progress), and are they CSV all through (so a broken quote near the end refuses the file
// before any row is stored). The command line and the upload page both read through here.
import { EcatError } from '../errors.ts';
import { CsvParser, CsvSyntaxError, parseCsvStream, type CsvRecord } from './csv.ts';

export type TextEncoding = 'utf-8' | 'windows-1252';

export interface CsvInput {
  encoding: TextEncoding;
  /** Records in the file, the header included; unknown for a stream read once. */
  records?: number;
  /** The first syntax error in the file, found by the scan before anything is stored. */
  syntaxError?: CsvSyntaxError;
  read(): AsyncGenerator<CsvRecord>;
}

/** Bytes read once (standard input) are not UTF-8. */
export class NotUtf8Error extends EcatError {
  override readonly name = 'NotUtf8Error';
  override readonly kind = 'invalid';
  override readonly retryable = false;
}

/** The bytes again, from the start, each time it is called: a file opened anew, a buffer. */
export type ByteSource = () => AsyncIterable<unknown> | Iterable<unknown>;

/** TextDecoder's own code for a byte that is not in the encoding (it throws it when `fatal`). */
export function isDecodingError(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'ERR_ENCODING_INVALID_ENCODED_DATA';
}

function bytesOf(chunk: unknown): Uint8Array {
  // A stream in object mode (a test's Readable.from(['…'])) may hand over strings.
  return typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
}

/** The text of a byte stream. UTF-8 is decoded strictly (a stray byte throws); its BOM is dropped. */
export async function* decode(
  bytes: AsyncIterable<unknown> | Iterable<unknown>,
  encoding: TextEncoding,
) {
  const decoder = new TextDecoder(encoding, { fatal: true });
  for await (const chunk of bytes) yield decoder.decode(bytesOf(chunk), { stream: true });
  yield decoder.decode();
}

type Scan = { records: number; syntaxError?: CsvSyntaxError } | 'not-utf-8';

async function scanAs(bytes: ByteSource, encoding: TextEncoding): Promise<Scan> {
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
    for await (const text of decode(bytes(), encoding)) {
      records += parse(() => parser.push(text));
    }
  } catch (error) {
    if (isDecodingError(error)) return 'not-utf-8';
    throw error;
  }
  records += parse(() => parser.end());
  return syntaxError ? { records, syntaxError } : { records };
}

/** Bytes that can be read again, scanned first (see the top of this file). */
export async function openCsvBytes(bytes: ByteSource): Promise<CsvInput> {
  let encoding: TextEncoding = 'utf-8';
  let scan = await scanAs(bytes, encoding);
  if (scan === 'not-utf-8') {
    // Windows-1252 gives every byte a character, so this scan cannot fail on the encoding.
    encoding = 'windows-1252';
    scan = await scanAs(bytes, encoding);
    if (scan === 'not-utf-8') throw new Error('Windows-1252 refused a byte');
  }
  return { encoding, ...scan, read: () => parseCsvStream(decode(bytes(), encoding)) };
}

/** Bytes held in memory (an upload), handed over a slice at a time as a file would be read. */
export function* slicesOf(bytes: Uint8Array, size = 64 * 1024): Generator<Uint8Array> {
  for (let start = 0; start < bytes.length; start += size) {
    yield bytes.subarray(start, start + size);
  }
}
