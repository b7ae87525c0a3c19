// Refreshes config/bank-holidays.json from GOV.UK's feed (DOMAIN.md: holidays are data, never
// hard-coded). Writes only a feed ecat itself would accept, and only when it differs; a bad feed
// is refused with one line and exit 1, leaving the file as it was. Run weekly by
// .github/workflows/bank-holidays.yml, or by hand:
//   npx tsx scripts/refresh-bank-holidays.ts [URL or file] [--target file]
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isRealIsoDate } from '../src/domain/dates.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const FEED_URL = 'https://www.gov.uk/bank-holidays.json';
const DEFAULT_TARGET = fileURLToPath(new URL('../config/bank-holidays.json', import.meta.url));
const DIVISION = 'england-and-wales';

// The feed's shape, checked first so that a refusal names the place
// (england-and-wales.events.3.date); calendarFromFeed, what ecat reads the file with, has the last
// word.
const eventSchema = z.object({
  title: z.string().min(1),
  date: z.string().refine(isRealIsoDate, {
    error: (issue) => `'${String(issue.input)}' is not a real date as YYYY-MM-DD`,
  }),
  notes: z.string(),
  bunting: z.boolean(),
});
const feedSchema = z.looseObject({
  [DIVISION]: z.object(
    {
      division: z.literal(DIVISION),
      events: z.array(eventSchema).min(1, 'must list at least one event'),
    },
    { error: (issue) => (issue.input === undefined ? 'missing from the feed' : undefined) },
  ),
});
type Feed = z.infer<typeof feedSchema>;
type HolidayEvent = z.infer<typeof eventSchema>;

class Refused extends Error {}

function parseArguments(args: string[]): { source: string; target: string } {
  const { values, positionals } = parseArgs({
    args,
    options: { target: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 1) {
    throw new Refused('usage: refresh-bank-holidays.ts [URL or file] [--target file]');
  }
  return { source: positionals[0] ?? FEED_URL, target: values.target ?? DEFAULT_TARGET };
}

async function readSource(source: string): Promise<string> {
  if (!/^https?:\/\//.test(source)) return readFile(source, 'utf8');
  const response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
  if (!response.ok) throw new Refused(`${source} answered ${response.status}`);
  return response.text();
}

/** The feed's England-and-Wales division alone, in GOV.UK's order, or why it is not usable. */
function validFeed(text: string): Feed {
  let feed: unknown;
  try {
    feed = JSON.parse(text);
  } catch (error) {
    throw new Refused(`not JSON: ${(error as Error).message}`);
  }
  const parsed = feedSchema.safeParse(feed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Refused(`${issue?.path.join('.') ?? 'feed'}: ${issue?.message ?? 'not valid'}`);
  }
  try {
    calendarFromFeed(feed);
  } catch (error) {
    throw new Refused((error as Error).message);
  }
  return { [DIVISION]: parsed.data[DIVISION] };
}

/** 2-space JSON and a final newline: the same feed always gives the same bytes. */
function formatted(feed: Feed): string {
  return `${JSON.stringify(feed, null, 2)}\n`;
}

/** What is there now, in the same formatting; undefined when missing or not a feed. */
async function current(target: string): Promise<Feed | undefined> {
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return validFeed(text);
  } catch (error) {
    if (error instanceof Refused) return undefined;
    throw error;
  }
}

function describeEvent(event: HolidayEvent): string {
  return `${event.date} ${event.title}${event.notes ? ` (${event.notes})` : ''}`;
}

/** Events in `after` and not in `before`, and the other way round (a changed note is one of each). */
function changes(
  before: Feed | undefined,
  after: Feed,
): { added: HolidayEvent[]; removed: HolidayEvent[] } {
  const key = (event: HolidayEvent): string => JSON.stringify(event);
  const was = before?.[DIVISION].events ?? [];
  const now = after[DIVISION].events;
  const wasKeys = new Set(was.map(key));
  const nowKeys = new Set(now.map(key));
  return {
    added: now.filter((event) => !wasKeys.has(key(event))),
    removed: was.filter((event) => !nowKeys.has(key(event))),
  };
}

async function main(args: string[]): Promise<void> {
  const { source, target } = parseArguments(args);
  const feed = validFeed(await readSource(source));
  const before = await current(target);
  const text = formatted(feed);
  if (before !== undefined && formatted(before) === text) {
    console.log(`no change: ${target} already has the ${feed[DIVISION].events.length} events`);
    return;
  }
  // Written beside the target and renamed over it, so a reader never sees half a file.
  const partial = `${target}.partial`;
  await writeFile(partial, text);
  await rename(partial, target);
  const { added, removed } = changes(before, feed);
  console.log(`updated ${target}: ${added.length} added, ${removed.length} removed`);
  for (const event of removed) console.log(`- ${describeEvent(event)}`);
  for (const event of added) console.log(`+ ${describeEvent(event)}`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(`refused: ${reason.split('\n')[0] ?? ''}; nothing written`);
  process.exitCode = 1;
}
