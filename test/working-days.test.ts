import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calendarFromFeed } from '../src/request/working-days.ts';

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
