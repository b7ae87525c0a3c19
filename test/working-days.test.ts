import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  dayOfWeek,
  formatLongDate,
  fromDayNumber,
  isRealIsoDate,
  LAST_DAY_NUMBER,
} from '../src/domain/dates.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const feed: unknown = JSON.parse(readFileSync('config/bank-holidays.json', 'utf8'));
const calendar = calendarFromFeed(feed);

describe('England and Wales working days', () => {
  it.each([
    // DOMAIN.md's 2026 list, and 2027's Easter.
    '2026-01-01',
    '2026-04-03',
    '2026-04-06',
    '2026-05-04',
    '2026-05-25',
    '2026-08-31',
    '2026-12-25',
    '2026-12-28',
    '2027-03-26',
    '2027-03-29',
  ])('treats the bank holiday %s as not a working day', (date) => {
    expect(calendar.isWorkingDay(date)).toBe(false);
  });

  it('treats weekends as not working days and ordinary weekdays as working days', () => {
    expect(calendar.isWorkingDay('2026-11-28')).toBe(false); // Saturday
    expect(calendar.isWorkingDay('2026-11-29')).toBe(false); // Sunday
    expect(calendar.isWorkingDay('2026-11-30')).toBe(true); // Monday
    expect(calendar.isWorkingDay('2026-12-29')).toBe(true); // Tuesday after the substitute day
    expect(calendar.isWorkingDay('2027-03-25')).toBe(true); // Thursday before Good Friday
  });

  it('covers 2025 to 2028 with eight holidays a year', () => {
    const events = (feed as { 'england-and-wales': { events: { date: string }[] } })[
      'england-and-wales'
    ].events;
    for (const year of ['2025', '2026', '2027', '2028']) {
      expect(events.filter((event) => event.date.startsWith(year))).toHaveLength(8);
    }
    expect(calendar.covers).toEqual({ first: '2025-01-01', last: '2028-12-31' });
  });

  it('counts working days over Christmas 2026, skipping 25 and 28 December', () => {
    // Thu 24 Dec → Tue 29 Dec: Fri 25 (holiday), Sat, Sun, Mon 28 (substitute), Tue 29.
    expect(calendar.workingDaysBetween('2026-12-24', '2026-12-29')).toBe(1);
  });

  it('counts working days over Easter 2027, skipping 26 and 29 March', () => {
    // Thu 25 Mar → Wed 31 Mar: Fri 26 (Good Friday), Mon 29 (Easter Monday), Tue 30, Wed 31.
    expect(calendar.workingDaysBetween('2027-03-25', '2027-03-31')).toBe(2);
  });

  it('counts nothing for the same day or an earlier one', () => {
    expect(calendar.workingDaysBetween('2026-11-24', '2026-11-24')).toBe(0);
    expect(calendar.workingDaysBetween('2026-11-24', '2026-11-20')).toBe(0);
  });

  it('steps back over weekends and holidays', () => {
    // Three working days before Wed 30 Dec 2026: Tue 29, Thu 24, Wed 23 December.
    expect(calendar.workingDaysBefore('2026-12-30', 3)).toBe('2026-12-23');
    // A test date on a Saturday: the working day before it is the Friday.
    expect(calendar.workingDaysBefore('2026-11-28', 0)).toBe('2026-11-27');
    expect(calendar.workingDaysBefore('2027-03-30', 1)).toBe('2027-03-25');
  });

  it('refuses data that is not in the GOV.UK feed shape', () => {
    expect(() => calendarFromFeed({ events: [] })).toThrow(/GOV\.UK bank-holidays\.json shape/);
  });
});

describe('dates across the whole range YYYY-MM-DD can write', () => {
  it('knows the leap days of years 0000 and 0004, which Date.UTC would put in 1900 and 1904', () => {
    expect(isRealIsoDate('0000-02-29')).toBe(true);
    expect(isRealIsoDate('0004-02-29')).toBe(true);
    expect(isRealIsoDate('0100-02-29')).toBe(false);
    expect(isRealIsoDate('0001-02-29')).toBe(false);
    expect(addDays('0004-02-28', 1)).toBe('0004-02-29');
    expect(addDays('0000-02-29', 1)).toBe('0000-03-01');
    expect(addDays('0000-12-31', 1)).toBe('0001-01-01');
    // Proleptic Gregorian: 0001-01-01 was a Monday, so 0000-01-01 (a leap year before) a Saturday.
    expect(dayOfWeek('0000-01-01')).toBe(6);
    expect(dayOfWeek('0004-02-29')).toBe(0);
    expect(formatLongDate('0004-02-29')).toBe('Sunday 29 February 4');
  });

  it('reaches 9999-12-31 and refuses to go past either end with a RangeError', () => {
    expect(addDays('9999-12-30', 1)).toBe('9999-12-31');
    expect(dayOfWeek('9999-12-31')).toBe(5);
    expect(formatLongDate('9999-12-31')).toBe('Friday 31 December 9999');
    expect(() => addDays('9999-12-31', 1)).toThrow(RangeError);
    expect(() => addDays('9999-12-31', 1)).toThrow('9999-12-31 plus 1 day is outside');
    expect(() => addDays('0000-01-01', -1)).toThrow(RangeError);
    expect(() => fromDayNumber(LAST_DAY_NUMBER + 1)).toThrow(RangeError);
    expect(() => addMonths('9999-12-01', 1)).toThrow(RangeError);
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
  });

  it('adds months keeping the day, or the last day of a shorter month', () => {
    expect(addMonths('2026-11-24', 24)).toBe('2028-11-24');
    expect(addMonths('2028-02-29', 24)).toBe('2030-02-28');
    expect(addMonths('2028-02-29', 48)).toBe('2032-02-29');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15');
    expect(addMonths('9997-12-31', 24)).toBe('9999-12-31');
  });
});

// Expected counts below were computed separately with Python's datetime and the same feed.
describe('working days far from the holiday data', () => {
  it('counts up to 9999-12-30 and 9999-12-31', () => {
    expect(calendar.workingDaysBetween('2026-12-01', '9999-12-30')).toBe(2_080_059);
    expect(calendar.workingDaysBetween('2026-11-24', '9999-12-31')).toBe(2_080_065);
    // Fri 24 Dec 9999 → Fri 31 Dec 9999: Monday to Friday, no holiday data that far.
    expect(calendar.workingDaysBetween('9999-12-24', '9999-12-31')).toBe(5);
    expect(calendar.workingDaysBetween('9999-12-31', '9999-12-31')).toBe(0);
    expect(calendar.isWorkingDay('9999-12-31')).toBe(true);
  });

  it('counts up to 2300-01-01', () => {
    expect(calendar.workingDaysBetween('2026-11-24', '2300-01-01')).toBe(71_231);
    expect(calendar.workingDaysBefore('2300-01-01', 0)).toBe('2300-01-01');
    expect(calendar.workingDaysBefore('2300-01-01', 5)).toBe('2299-12-25');
  });

  it('steps back from the end of the range', () => {
    expect(calendar.workingDaysBefore('9999-12-30', 60)).toBe('9999-10-07');
    expect(calendar.workingDaysBefore('9999-12-31', 0)).toBe('9999-12-31');
    expect(calendar.workingDaysBefore('9999-12-31', 1)).toBe('9999-12-30');
  });

  it('steps back two million working days, consistently with the forward count', () => {
    const day = calendar.workingDaysBefore('9999-12-30', 2_000_000);
    expect(calendar.isWorkingDay(day)).toBe(true);
    expect(calendar.workingDaysBetween(addDays(day, -1), '9999-12-29')).toBe(2_000_000);
  });

  it('counts year 0000 like year 2000, 400 years of the Gregorian cycle apart', () => {
    // 2000-01-01 → 2001-01-01 has 261 working days (no bank holiday data for either year).
    expect(calendar.workingDaysBetween('0000-01-01', '0001-01-01')).toBe(261);
    expect(calendar.workingDaysBetween('0004-02-27', '0004-03-01')).toBe(1); // Fri → Mon
  });

  it('throws a RangeError when no working day that far back exists', () => {
    // Monday 3 January 0000 is the first working day there is.
    expect(calendar.workingDaysBefore('0000-01-03', 0)).toBe('0000-01-03');
    expect(calendar.workingDaysBefore('0000-01-04', 1)).toBe('0000-01-03');
    expect(() => calendar.workingDaysBefore('0000-01-03', 1)).toThrow(RangeError);
    expect(() => calendar.workingDaysBefore('0000-01-02', 0)).toThrow(RangeError);
  });

  it('refuses a count that is not a whole number of days', () => {
    expect(() => calendar.workingDaysBefore('2026-12-30', -1)).toThrow(RangeError);
    expect(() => calendar.workingDaysBefore('2026-12-30', 1.5)).toThrow(RangeError);
  });
});

describe('the cost of counting', () => {
  // A day-by-day walk takes a step per day: about 2.9 million from 2026 to 9999. A binary search
  // over every day number takes at most 22 steps (2^22 > 3.65 million days), each with a search
  // of the 32 holidays (≤ 6 steps): about 170 in all, whatever the dates and the count.
  const BOUND = 200;
  const countSteps = (query: (counted: ReturnType<typeof calendarFromFeed>) => unknown) => {
    let steps = 0;
    query(calendarFromFeed(feed, { onStep: () => (steps += 1) }));
    return steps;
  };

  it('takes a small fixed number of steps however far the dates are', () => {
    const between = countSteps((c) => c.workingDaysBetween('2026-12-01', '9999-12-30'));
    const before = countSteps((c) => c.workingDaysBefore('9999-12-30', 60));
    console.log(`steps: workingDaysBetween ${between}, workingDaysBefore ${before}`);
    // Both use the probe at all (so the bound means something), and stay under the bound.
    expect(between).toBeGreaterThan(0);
    expect(between).toBeLessThanOrEqual(BOUND);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThanOrEqual(BOUND);
  });

  it('stays under the same bound for a near range and for a count of two million', () => {
    const near = countSteps((c) => c.workingDaysBetween('2026-12-01', '2026-12-02'));
    expect(near).toBeLessThanOrEqual(BOUND);
    const few = countSteps((c) => c.workingDaysBefore('9999-12-30', 1));
    const many = countSteps((c) => c.workingDaysBefore('9999-12-30', 2_000_000));
    expect(many).toBeLessThanOrEqual(BOUND);
    expect(few).toBeLessThanOrEqual(BOUND);
  });
});
