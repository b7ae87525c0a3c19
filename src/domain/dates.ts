// Calendar dates as ISO strings (YYYY-MM-DD): the only date shape the domain uses, so no time
// zone can slip in. "Today" is always London's today, as DOMAIN.md fixes. Arithmetic is on whole
// day numbers (days since 1970-01-01, proleptic Gregorian), so it is exact over every date the
// shape can write, 0000-01-01 to 9999-12-31; `Date` would map years 0–99 onto 1900–1999 and write
// the day after 9999-12-31 as +010000-01-01.

export type IsoDate = string;

export const FIRST_ISO_DATE: IsoDate = '0000-01-01';
const LAST_ISO_DATE: IsoDate = '9999-12-31';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

interface Civil {
  year: number;
  month: number;
  day: number;
}

function parse(text: string): Civil | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function format({ year, month, day }: Civil): IsoDate {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** True when the text is YYYY-MM-DD and names a day that exists (no 30 February). */
export function isRealIsoDate(text: string): boolean {
  return parse(text) !== undefined;
}

// Howard Hinnant's days_from_civil and civil_from_days
// (https://howardhinnant.github.io/date_algorithms.html): years run from March so the leap day
// falls last, in 400-year eras of 146097 days; 719468 is the day number of 0000-03-01.
function daysFromCivil({ year, month, day }: Civil): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(dayNumber: number): Civil {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36524) -
      Math.floor(dayOfEra / 146096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export const FIRST_DAY_NUMBER = daysFromCivil({ year: 0, month: 1, day: 1 });
export const LAST_DAY_NUMBER = daysFromCivil({ year: 9999, month: 12, day: 31 });

/** Days since 1970-01-01 (negative before it); throws a RangeError for text that is no real date. */
export function dayNumber(date: IsoDate): number {
  const civil = parse(date);
  if (!civil) throw new RangeError(`not a real calendar date as YYYY-MM-DD: '${date}'`);
  return daysFromCivil(civil);
}

/** The date of a day number; throws a RangeError outside 0000-01-01 … 9999-12-31. */
export function fromDayNumber(day: number): IsoDate {
  if (!Number.isSafeInteger(day) || day < FIRST_DAY_NUMBER || day > LAST_DAY_NUMBER) {
    throw new RangeError(
      `day number ${day} is outside the dates YYYY-MM-DD can write (${FIRST_ISO_DATE} to ${LAST_ISO_DATE})`,
    );
  }
  return format(civilFromDays(day));
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

/** The date `days` days later (earlier when negative); a RangeError past either end of the range. */
export function addDays(date: IsoDate, days: number): IsoDate {
  if (!Number.isSafeInteger(days)) throw new RangeError(`cannot add ${days} days to ${date}`);
  const day = dayNumber(date) + days;
  if (day < FIRST_DAY_NUMBER || day > LAST_DAY_NUMBER) {
    throw new RangeError(
      `${date} ${days < 0 ? 'less' : 'plus'} ${plural(Math.abs(days), 'day')} is outside ${FIRST_ISO_DATE} to ${LAST_ISO_DATE}`,
    );
  }
  return fromDayNumber(day);
}

/**
 * The same day of the month `months` months later, or that month's last day when it is shorter
 * (2028-02-29 plus 24 months is 2030-02-28); a RangeError past either end of the range.
 */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const civil = parse(date);
  if (!civil) throw new RangeError(`not a real calendar date as YYYY-MM-DD: '${date}'`);
  if (!Number.isSafeInteger(months)) throw new RangeError(`cannot add ${months} months to ${date}`);
  const monthIndex = civil.year * 12 + (civil.month - 1) + months;
  const year = Math.floor(monthIndex / 12);
  if (year < 0 || year > 9999) {
    throw new RangeError(
      `${date} ${months < 0 ? 'less' : 'plus'} ${plural(Math.abs(months), 'month')} is outside ${FIRST_ISO_DATE} to ${LAST_ISO_DATE}`,
    );
  }
  const month = monthIndex - year * 12 + 1;
  return format({ year, month, day: Math.min(civil.day, daysInMonth(year, month)) });
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  // Day 0, 1970-01-01, was a Thursday.
  return (((dayNumber(date) + 4) % 7) + 7) % 7;
}

const londonDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date in Europe/London at the given instant. */
export function londonDate(instant: Date): IsoDate {
  return londonDay.format(instant);
}

const longDate = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
});

const MS_PER_DAY = 86_400_000;

/** "Tuesday 1 December 2026", the GOV.UK style for dates in prose. */
export function formatLongDate(date: IsoDate): string {
  // The year comes from the date itself: Intl would write year 0 as "1" (1 BC).
  const dayAndMonth = longDate.format(new Date(dayNumber(date) * MS_PER_DAY)).replace(',', '');
  return `${dayAndMonth} ${Number(date.slice(0, 4))}`;
}
