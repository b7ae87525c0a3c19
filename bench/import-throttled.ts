// `ecat import` of 5,000 rows over 300 organisations against the tests' strict DoS Search
// stand-in on loopback, made to enforce the API's 10 requests a second (429 beyond). ecat asks
// once per ODS code and paces itself, so the fastest any import can be is codes ÷ 10 s: the floor
// the wall time is compared with.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CliIo } from '../src/adapters/cli/io.ts';
import { runCli } from '../src/adapters/cli/main.ts';
import {
  dosState,
  operationOutcome,
  schedulingEndpoint,
  startDosSearchServer,
} from '../test/support/dos-directory.ts';
import { benchPrefix, dropPrefix, REDIS_URL, timed, type Figure } from './lib.ts';
import { CSV_HEADER, csvRow } from './payload.ts';

const ROWS = 5000;
const CODES = 300;
const ALLOWED = 10; // the DoS Search API's limit a second (DOMAIN.md)
const TOKEN = 'bench-token';
/** Printed with the figure, so a run can be repeated row for row. */
const SEED = 20261201;

/** mulberry32: a small seeded generator, so the file is the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct ODS codes of 5–12 capital letters and digits. */
function odsCodes(count: number, random: () => number): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const codes = new Set<string>();
  while (codes.size < count) {
    const length = 5 + Math.floor(random() * 8);
    let code = '';
    for (let i = 0; i < length; i += 1)
      code += alphabet.charAt(Math.floor(random() * alphabet.length));
    codes.add(code);
  }
  return [...codes];
}

/** Rows in random order, every code at least once, the rest spread at random. */
function rowsOver(codes: readonly string[], random: () => number): string[] {
  const codeOfRow = Array.from({ length: ROWS }, (_, i) =>
    i < codes.length ? i : Math.floor(random() * codes.length),
  );
  for (let i = codeOfRow.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const [a, b] = [codeOfRow[i], codeOfRow[j]];
    if (a !== undefined && b !== undefined) [codeOfRow[i], codeOfRow[j]] = [b, a];
  }
  return codeOfRow.map((code, i) => csvRow(i, codes[code]));
}

export async function throttledImport(): Promise<Figure[]> {
  const random = seeded(SEED);
  const codes = odsCodes(CODES, random);
  const prefix = benchPrefix('import-dos');
  // The API's limit, enforced as a sliding one-second window over the requests it answered.
  const answered: number[] = [];
  let tooMany = 0;
  const state = dosState({
    endpoints: [schedulingEndpoint('ASID:918999198993')],
    tokens: [TOKEN],
    respond: () => {
      const now = performance.now();
      if (answered.filter((at) => now - at < 1000).length >= ALLOWED) {
        tooMany += 1;
        return {
          status: 429,
          body: operationOutcome({
            severity: 'error',
            code: 'throttled',
            diagnostics: 'Too many requests',
          }),
        };
      }
      answered.push(now);
      return undefined;
    },
  });
  const dos = await startDosSearchServer(state);
  const directory = await mkdtemp(join(tmpdir(), 'ecat-bench-'));
  const file = join(directory, 'organisations.csv');
  await writeFile(file, [CSV_HEADER, ...rowsOver(codes, random), ''].join('\n'));
  const out = new PassThrough().resume();
  const io = (queuePrefix: string): CliIo => ({
    stdin: Readable.from([]),
    stdout: out,
    stderr: out,
    env: {
      REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'silent',
      DIRECTORY_URL_INT: dos.base,
      APIM_ACCESS_TOKEN: TOKEN,
    },
    waitForStop: () => new Promise(() => undefined),
    isTTY: false,
  });
  // A one-row import of another organisation first (module loading is a one-off, not per row),
  // then a full window's pause so its lookup does not count against the timed run's first second.
  const warmUp = join(directory, 'warm-up.csv');
  await writeFile(warmUp, [CSV_HEADER, csvRow(ROWS, 'WARM1'), ''].join('\n'));
  await runCli(['import', warmUp], io(`${prefix}-warm-up`));
  await dropPrefix(`${prefix}-warm-up`);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const before = { requests: state.requests, answered: answered.length };
  let code = -1;
  // Bounded: the import ends when every row is settled; a hang here would be a fault of its own.
  const seconds = await timed(async () => {
    code = await runCli(['import', file], io(prefix));
  });
  const lookups = state.requests - before.requests;
  if (code !== 0 || state.refused.length > 0) {
    throw new Error(`ecat import exited ${code}; refused: ${state.refused.join('; ')}`);
  }
  await dos.close();
  await rm(directory, { recursive: true });
  await dropPrefix(prefix);
  const floor = CODES / ALLOWED;
  const ratio = seconds / floor;
  return [
    {
      figure: `\`ecat import\` of ${ROWS.toLocaleString('en-GB')} rows over ${CODES} ODS codes, DoS Search stand-in enforcing ${ALLOWED}/s (seed ${SEED})`,
      ecat: `${seconds.toFixed(1)} s wall, ${lookups} lookups, ${tooMany} answered 429`,
      baseline: `${floor} s floor (${CODES} codes ÷ ${ALLOWED}/s)`,
      ratio,
      target: '≤ 1.2×',
      met: ratio <= 1.2 && tooMany === 0 && lookups === CODES,
    },
  ];
}
