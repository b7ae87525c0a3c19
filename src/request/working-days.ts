// England-and-Wales working days: weekends and bank holidays skipped. The holidays come from a
// data file shaped like the GOV.UK bank-holidays.json feed (DOMAIN.md: never hard-coded).
import { z } from 'zod';
import { addDays, dayOfWeek, type IsoDate } from './dates.ts';

const feedSchema = z.looseObject({
  'england-and-wales': z.looseObject({
    events: z.array(
      z.looseObject({
        title: z.string(),
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      }),
    ),
  }),
});

export interface WorkingCalendar {
  isWorkingDay(date: IsoDate): boolean;
  /** Working days after `from`, up to and including `to` (0 when `to` ≤ `from`). */
  workingDaysBetween(from: IsoDate, to: IsoDate): number;
  /** The working day `count` working days before `date` (skipping back over non-working days). */
  workingDaysBefore(date: IsoDate, count: number): IsoDate;
  /** The first and last dates the holiday data covers, to warn when a date falls outside. */
  readonly covers: { first: IsoDate; last: IsoDate };
}

/** Builds a calendar from the GOV.UK feed; throws naming the problem if the data is not that shape. */
export function calendarFromFeed(feed: unknown): WorkingCalendar {
  const parsed = feedSchema.safeParse(feed);
  if (!parsed.success) {
    throw new Error(
      `bank holiday data is not in the GOV.UK bank-holidays.json shape: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    );
  }
  const dates = parsed.data['england-and-wales'].events.map((event) => event.date).sort();
  const holidays = new Set(dates);
  const covers = {
    first: `${(dates[0] ?? '0000').slice(0, 4)}-01-01`,
    last: `${(dates.at(-1) ?? '0000').slice(0, 4)}-12-31`,
  };

  const isWorkingDay = (date: IsoDate): boolean => {
    const weekday = dayOfWeek(date);
    return weekday !== 0 && weekday !== 6 && !holidays.has(date);
  };

  return {
    covers,
    isWorkingDay,
    workingDaysBetween(from, to) {
      let count = 0;
      for (let day = addDays(from, 1); day <= to; day = addDays(day, 1)) {
        if (isWorkingDay(day)) count += 1;
      }
      return count;
    },
    workingDaysBefore(date, count) {
      let day = date;
      let left = count;
      while (left > 0 || !isWorkingDay(day)) {
        day = addDays(day, -1);
        if (isWorkingDay(day)) left -= 1;
      }
      return day;
    },
  };
}
