import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_URGENCY_THRESHOLDS, rateUrgency, type Urgency } from '../src/domain/urgency.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const calendar = calendarFromFeed(JSON.parse(readFileSync('config/bank-holidays.json', 'utf8')));
const today = '2026-11-24'; // a Tuesday
const rate = (date: string | undefined) =>
  rateUrgency(date, today, calendar, DEFAULT_URGENCY_THRESHOLDS);
/** The whole rating for a date: its level, the working days to it, and the reason in words. */
const expectRating = (
  date: string | undefined,
  level: Urgency['level'],
  workingDays: Urgency['workingDays'],
  reason: string,
) => {
  expect(rate(date)).toEqual({ level, workingDays, reason });
};

describe('urgency from the earliest test date', () => {
  it('is routine with no test dates', () => {
    expectRating(undefined, 'routine', null, 'no test dates were proposed');
  });

  it('is urgent two working days out, with the reason in words', () => {
    expectRating('2026-11-26', 'urgent', 2, 'testing starts in 2 working days');
  });

  it('puts the boundaries at 5 and 15 working days', () => {
    expect(rate('2026-12-01').level).toBe('urgent'); // 5 working days
    expect(rate('2026-12-02').level).toBe('high'); // 6
    expect(rate('2026-12-15').workingDays).toBe(15);
    expect(rate('2026-12-15').level).toBe('high');
    expect(rate('2026-12-16').level).toBe('routine'); // 16
  });

  it('skips the Christmas bank holidays when counting', () => {
    // 25 Nov to 4 Jan 2027: 29 weekdays less 25 Dec, 28 Dec and 1 Jan = 26 working days.
    expect(rate('2027-01-04').workingDays).toBe(26);
  });

  it('is routine sixty days out', () => {
    expect(rate('2027-01-23').level).toBe('routine');
  });

  it('follows configured thresholds', () => {
    const strict = rateUrgency('2026-12-02', today, calendar, {
      urgentMaxWorkingDays: 10,
      highMaxWorkingDays: 20,
    });
    expect(strict.level).toBe('urgent');
  });

  it('counts to the last date there is, as arithmetic rather than a walk', () => {
    // Computed separately with Python's datetime: 2,080,065 working days to Fri 31 Dec 9999.
    expectRating('9999-12-31', 'routine', 2_080_065, 'testing starts in 2080065 working days');
  });

  it('says "1 working day" in the singular', () => {
    expect(rate('2026-11-25').reason).toBe('testing starts in 1 working day');
  });
});
