// scripts/refresh-bank-holidays.ts, run as the weekly workflow runs it, on local files (never the
// network): a good feed is written in ecat's formatting, a bad one is refused in one line and the
// file is left as it was, and the same feed again is "no change".
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/refresh-bank-holidays.ts', import.meta.url));
const SHIPPED = new URL('../config/bank-holidays.json', import.meta.url);

interface HolidayEvent {
  title: string;
  date: string;
  notes: string;
  bunting: boolean;
}
interface Feed {
  'england-and-wales': { division: string; events: HolidayEvent[] };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function refresh(source: string, target: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, source, '--target', target]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

let dir: string;
let shipped: string;

/** The shipped feed with some changes, as GOV.UK serves it (three divisions), in a file. */
async function feedFile(name: string, change: (feed: Feed) => unknown): Promise<string> {
  const feed = JSON.parse(shipped) as Feed;
  const served = {
    ...(change(feed) as object),
    scotland: { division: 'scotland', events: [] },
    'northern-ireland': { division: 'northern-ireland', events: [] },
  };
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(served));
  return file;
}

const NEW_YEAR_2029 = {
  title: 'New Year’s Day',
  date: '2029-01-01',
  notes: '',
  bunting: true,
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ecat-bank-holidays-'));
  shipped = await readFile(SHIPPED, 'utf8');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('refreshing the bank holidays', () => {
  it('writes a valid feed: England and Wales alone, 2-space JSON and a newline', async () => {
    const source = await feedFile('valid.json', (feed) => feed);
    const target = join(dir, 'new.json');
    const result = await refresh(source, target);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^updated .*new\.json: 32 added, 0 removed\n/);
    const written = await readFile(target, 'utf8');
    expect(written).toBe(`${JSON.stringify(JSON.parse(shipped), null, 2)}\n`);
  });

  it('prints the events added and removed', async () => {
    const target = join(dir, 'changed.json');
    await writeFile(target, shipped);
    const source = await feedFile('changed-feed.json', (feed) => {
      const events = feed['england-and-wales'].events.slice(8);
      return {
        'england-and-wales': { division: 'england-and-wales', events: [...events, NEW_YEAR_2029] },
      };
    });
    const result = await refresh(source, target);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^updated .*changed\.json: 1 added, 8 removed$/);
    expect(lines).toContain('- 2025-01-01 New Year’s Day');
    expect(lines).toContain('+ 2029-01-01 New Year’s Day');
    const written = JSON.parse(await readFile(target, 'utf8')) as Feed;
    expect(written['england-and-wales'].events.at(-1)).toEqual(NEW_YEAR_2029);
  });

  it('reports "no change" for the same feed and leaves the file alone', async () => {
    const target = join(dir, 'same.json');
    await writeFile(target, shipped);
    const source = await feedFile('same-feed.json', (feed) => feed);
    const result = await refresh(source, target);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^no change: /);
    expect(await readFile(target, 'utf8')).toBe(shipped);
  });

  it.each([
    [
      'no england-and-wales division',
      (feed: Feed) => ({ scotland: feed['england-and-wales'] }),
      /england-and-wales: missing/,
    ],
    [
      'a date that is not real',
      (feed: Feed) => {
        feed['england-and-wales'].events[3]!.date = '2025-02-30';
        return feed;
      },
      /england-and-wales\.events\.3\.date: '2025-02-30' is not a real date/,
    ],
    [
      'an event without bunting',
      (feed: Feed) => {
        const { title, date, notes } = feed['england-and-wales'].events[0]!;
        feed['england-and-wales'].events[0] = { title, date, notes } as HolidayEvent;
        return feed;
      },
      /events\.0\.bunting/,
    ],
  ])(
    'refuses a feed with %s in one line, exit 1, the file untouched',
    async (name, change, reason) => {
      const target = join(dir, 'kept.json');
      await writeFile(target, shipped);
      const source = await feedFile(`bad-${name.replaceAll(' ', '-')}.json`, change);
      const result = await refresh(source, target);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^refused: [^\n]*; nothing written\n$/);
      expect(result.stderr).toMatch(reason);
      expect(await readFile(target, 'utf8')).toBe(shipped);
    },
  );

  it('refuses what is not JSON', async () => {
    const source = join(dir, 'not-json.json');
    await writeFile(source, '<html>Service unavailable</html>');
    const target = join(dir, 'kept-too.json');
    await writeFile(target, shipped);
    const result = await refresh(source, target);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^refused: not JSON: [^\n]*\n$/);
    expect(await readFile(target, 'utf8')).toBe(shipped);
  });
});
