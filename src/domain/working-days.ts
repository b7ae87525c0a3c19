// England-and-Wales working days: weekends and bank holidays skipped. The holidays come from a
// data file shaped like the GOV.UK bank-holidays.json feed (DOMAIN.md: never hard-coded).
// Counting is arithmetic on day numbers plus binary searches, never a walk from day to day:
// DOMAIN.md says no computation may depend on how far out a date is.
import { z } from 'zod';
import {
  dayNumber,
  dayOfWeek,
  FIRST_DAY_NUMBER,
  FIRST_ISO_DATE,
  fromDayNumber,
  isRealIsoDate,
  type IsoDate,
} from './dates.ts';

const feedSchema = z.looseObject({
  'england-and-wales': z.looseObject({
    events: z.array(
      z.looseObject({
        title: z.string(),
        date: z.string().refine(isRealIsoDate, 'must be a real calendar date as YYYY-MM-DD'),
      }),
    ),
  }),
});

export interface WorkingCalendar {
  isWorkingDay(date: IsoDate): boolean;
  /** Working days after `from`, up to and including `to` (0 when `to` ≤ `from`). */
  workingDaysBetween(from: IsoDate, to: IsoDate): number;
  /**
   * The `count`-th working day before `date`, skipping back over non-working days; for 0, the
   * last working day on or before `date`. A RangeError when there is none from 0000-01-01.
   */
  workingDaysBefore(date: IsoDate, count: number): IsoDate;
  /** The first and last dates the holiday data covers, to warn when a date falls outside. */
  readonly covers: { first: IsoDate; last: IsoDate };
}

export interface CalendarOptions {
  /** Called once per iteration of any loop a query runs: lets a test prove the cost is bounded. */
  onStep?: () => void;
}

// 1970-01-05, day number 4, was a Monday.
const A_MONDAY = 4;

/** Weekdays from A_MONDAY through `day`, so that weekdaysThrough(b) − weekdaysThrough(a) counts (a, b]. */
function weekdaysThrough(day: number): number {
  const days = day - A_MONDAY + 1;
  const weeks = Math.floor(days / 7);
  return weeks * 5 + Math.min(days - weeks * 7, 5);
}

/** Builds a calendar from the GOV.UK feed; throws naming the problem if the data is not that shape. */
export function calendarFromFeed(feed: unknown, options: CalendarOptions = {}): WorkingCalendar {
  const parsed = feedSchema.safeParse(feed);
  if (!parsed.success) {
    throw new Error(
      `bank holiday data is not in the GOV.UK bank-holidays.json shape: ${parsed.error.issues[0]?.message ?? 'unknown'}`,
    );
  }
  const step = options.onStep ?? (() => {});
  const dates = parsed.data['england-and-wales'].events.map((event) => event.date).sort();
  const covers = {
    first: `${(dates[0] ?? '0000').slice(0, 4)}-01-01`,
    last: `${(dates.at(-1) ?? '0000').slice(0, 4)}-12-31`,
  };
  // A holiday on a weekend takes no working day away (the feed lists the substitute day instead).
  const weekdayHolidays = [...new Set(dates)]
    .filter((date) => dayOfWeek(date) !== 0 && dayOfWeek(date) !== 6)
    .map(dayNumber);
  const holidaySet = new Set(weekdayHolidays);

  /** Weekday holidays on or before `day`: a binary search for the first one after it. */
  const holidaysThrough = (day: number): number => {
    let low = 0;
    let high = weekdayHolidays.length;
    while (low < high) {
      step();
      const middle = (low + high) >>> 1;
      const holiday = weekdayHolidays[middle];
      if (holiday !== undefined && holiday <= day) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  /** Working days from A_MONDAY through `day`: rises by one on each working day and only then. */
  const workingDaysThrough = (day: number): number => weekdaysThrough(day) - holidaysThrough(day);

  const isWorkingDay = (date: IsoDate): boolean => {
    const weekday = dayOfWeek(date);
    return weekday !== 0 && weekday !== 6 && !holidaySet.has(dayNumber(date));
  };

  return {
    covers,
    isWorkingDay,
    workingDaysBetween(from, to) {
      const start = dayNumber(from);
      const end = dayNumber(to);
      if (end <= start) return 0;
      return workingDaysThrough(end) - workingDaysThrough(start);
    },
    workingDaysBefore(date, count) {
      if (!Number.isSafeInteger(count) || count < 0) {
        throw new RangeError(`a count of working days must be a whole number ≥ 0, got ${count}`);
      }
      // For 0 the answer is the working day that brought the running count to its value on
      // `date`; for n > 0, the one that brought it to n − 1 below its value the day before.
      const last = count === 0 ? dayNumber(date) : dayNumber(date) - 1;
      const target = workingDaysThrough(last) - Math.max(count - 1, 0);
      if (workingDaysThrough(FIRST_DAY_NUMBER - 1) >= target) {
        throw new RangeError(
          `no working day from ${FIRST_ISO_DATE} on is ${count} working days before ${date}`,
        );
      }
      // The first day whose running count reaches the target, by binary search over day numbers.
      let low = FIRST_DAY_NUMBER;
      let high = last;
      while (low < high) {
        step();
        const middle = Math.floor((low + high) / 2);
        if (workingDaysThrough(middle) >= target) high = middle;
        else low = middle + 1;
      }
      return fromDayNumber(low);
    },
  };
}
