import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  catalogueCheckIntervalMs,
  chaserPlan,
  isCatalogueCheckDue,
  londonInstant,
} from '../src/domain/follow-up-schedule.ts';
import { calendarFromFeed } from '../src/domain/working-days.ts';

const calendar = calendarFromFeed(JSON.parse(readFileSync('config/bank-holidays.json', 'utf8')));
const settings = { workingDaysBeforeUrgent: 3, workingDaysBeforeRoutine: 5 };

function record(
  earliestTestDate: string | undefined,
  level: 'urgent' | 'high' | 'routine',
  at: string,
) {
  return { earliestTestDate, urgency: { level }, createdAt: at };
}

describe('the chaser plan', () => {
  it('puts the reminder 3 working days before a test date 10 working days out, over Easter', () => {
    // Accepted Monday 15 March 2027; testing Wednesday 31 March: 10 working days, Good Friday
    // (26 March) and Easter Monday (29 March) skipped.
    expect(calendar.workingDaysBetween('2027-03-15', '2027-03-31')).toBe(10);
    const plan = chaserPlan(
      record('2027-03-31', 'high', '2027-03-15T10:00:00Z'),
      calendar,
      settings,
    );
    expect(plan).toEqual({
      sendOn: '2027-03-24',
      at: new Date('2027-03-24T09:00:00Z'),
      workingDaysBefore: 3,
    });
  });

  it('uses the routine lead time for routine requests', () => {
    const plan = chaserPlan(
      record('2027-06-30', 'routine', '2027-05-03T10:00:00Z'),
      calendar,
      settings,
    );
    expect(plan?.sendOn).toBe('2027-06-23');
    // British Summer Time: 09:00 in London is 08:00 UTC.
    expect(plan?.at).toEqual(new Date('2027-06-23T08:00:00Z'));
  });

  it('plans nothing without test dates, or when the day has come already', () => {
    expect(
      chaserPlan(record(undefined, 'routine', '2027-03-15T10:00:00Z'), calendar, settings),
    ).toBe(undefined);
    // Testing in 2 working days: 3 working days before is in the past.
    expect(
      chaserPlan(record('2027-03-17', 'urgent', '2027-03-15T10:00:00Z'), calendar, settings),
    ).toBe(undefined);
    // Exactly on the acceptance day: the original email is the reminder.
    expect(
      chaserPlan(record('2027-03-18', 'urgent', '2027-03-15T10:00:00Z'), calendar, settings),
    ).toBe(undefined);
    expect(
      chaserPlan(record('2027-03-19', 'urgent', '2027-03-15T10:00:00Z'), calendar, settings)
        ?.sendOn,
    ).toBe('2027-03-16');
  });
});

describe('London instants', () => {
  it('is 09:00 GMT in winter and 08:00 UTC in summer', () => {
    expect(londonInstant('2027-01-04', 9)).toEqual(new Date('2027-01-04T09:00:00Z'));
    expect(londonInstant('2027-03-29', 9)).toEqual(new Date('2027-03-29T08:00:00Z'));
    expect(londonInstant('2027-03-31', 0)).toEqual(new Date('2027-03-30T23:00:00Z'));
  });
});

describe('how often the proxy is asked', () => {
  const minutes = (ms: number) => ms / 60_000;
  it('asks more often as testing nears', () => {
    expect(minutes(catalogueCheckIntervalMs(undefined, '2027-03-01', calendar))).toBe(60);
    expect(minutes(catalogueCheckIntervalMs('2027-03-31', '2027-03-01', calendar))).toBe(60);
    expect(minutes(catalogueCheckIntervalMs('2027-03-31', '2027-03-23', calendar))).toBe(30);
    expect(minutes(catalogueCheckIntervalMs('2027-03-31', '2027-03-29', calendar))).toBe(15);
    expect(minutes(catalogueCheckIntervalMs('2027-03-31', '2027-04-02', calendar))).toBe(15);
  });

  it('is due once the interval has passed since the last check', () => {
    const now = new Date('2027-03-01T12:00:00Z');
    expect(isCatalogueCheckDue(undefined, 3_600_000, now)).toBe(true);
    expect(isCatalogueCheckDue('2027-03-01T11:30:00Z', 3_600_000, now)).toBe(false);
    expect(isCatalogueCheckDue('2027-03-01T11:00:00Z', 3_600_000, now)).toBe(true);
  });
});
