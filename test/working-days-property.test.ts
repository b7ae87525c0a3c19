import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarFromFeed } from '../src/domain/working-days.ts';

// The calendar against a day-by-day walk written here on Date's millisecond arithmetic (exact for
// every year from 0000 to 9999, unlike Date.UTC), so the two share no date code.
const feed: unknown = JSON.parse(readFileSync('config/bank-holidays.json', 'utf8'));
const calendar = calendarFromFeed(feed);
const holidays = new Set(
  (feed as { 'england-and-wales': { events: { date: string }[] } })['england-and-wales'].events.map(
    (event) => event.date,
  ),
);

// FC_SEED=<n> replays a run; the seed is printed either way.
const seed = Number(process.env.FC_SEED ?? 20261124);
console.log(`working-days property seed: ${seed} (set FC_SEED to change it)`);

const DAY_MS = 86_400_000;
const FIRST = Date.parse('0000-01-01T00:00:00Z');
const LAST = Date.parse('9999-12-31T00:00:00Z');
const THREE_YEARS = 3 * 366;

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const ms = (date: string) => Date.parse(`${date}T00:00:00Z`);

function referenceIsWorkingDay(time: number): boolean {
  const weekday = new Date(time).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(iso(time));
}

function referenceBetween(from: string, to: string): number {
  let count = 0;
  for (let time = ms(from) + DAY_MS; time <= ms(to); time += DAY_MS) {
    if (referenceIsWorkingDay(time)) count += 1;
  }
  return count;
}

/** The loop the calendar used to run; undefined when it would step before 0000-01-01. */
function referenceBefore(date: string, count: number): string | undefined {
  let time = ms(date);
  let left = count;
  while (left > 0 || !referenceIsWorkingDay(time)) {
    time -= DAY_MS;
    if (time < FIRST) return undefined;
    if (referenceIsWorkingDay(time)) left -= 1;
  }
  return iso(time);
}

/** The calendar finds the walk's day, or refuses (RangeError) where the walk runs off the start. */
function expectSameDayBefore(date: string, count: number): void {
  const expected = referenceBefore(date, count);
  if (expected === undefined) {
    expect(() => calendar.workingDaysBefore(date, count)).toThrow(RangeError);
  } else {
    expect(calendar.workingDaysBefore(date, count)).toBe(expected);
  }
}

const dayIn = (first: string, last: string) =>
  fc.integer({ min: ms(first) / DAY_MS, max: ms(last) / DAY_MS }).map((day) => day * DAY_MS);

// Ranges over the holiday data (2025–2028) and a little either side of it, and anywhere at all.
const start = fc.oneof(dayIn('2024-06-01', '2029-06-30'), dayIn('0000-01-01', '9999-12-31'));

const range = fc.tuple(start, fc.integer({ min: -30, max: THREE_YEARS })).map(([from, days]) => {
  const to = Math.min(Math.max(from + days * DAY_MS, FIRST), LAST);
  return { from: iso(from), to: iso(to) };
});

describe('working days against a day-by-day walk', () => {
  it('count the same working days between two dates', () => {
    fc.assert(
      fc.property(range, ({ from, to }) => {
        expect(calendar.workingDaysBetween(from, to)).toBe(referenceBetween(from, to));
      }),
      { seed, numRuns: 600 },
    );
  });

  it('find the same working day a number of working days before a date', () => {
    fc.assert(
      fc.property(
        start.map(iso),
        fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 800 })),
        expectSameDayBefore,
      ),
      { seed, numRuns: 600 },
    );
  });

  it('agree at both ends of the range', () => {
    const near = (first: string, last: string) =>
      fc.tuple(
        dayIn(first, last).map(iso),
        dayIn(first, last).map(iso),
        fc.integer({ min: 0, max: 30 }),
      );
    const edges = fc.oneof(near('0000-01-01', '0000-02-15'), near('9999-11-15', '9999-12-31'));
    fc.assert(
      fc.property(edges, ([a, b, count]) => {
        expect(calendar.workingDaysBetween(a, b)).toBe(referenceBetween(a, b));
        expectSameDayBefore(a, count);
      }),
      { seed, numRuns: 300 },
    );
  });
});
