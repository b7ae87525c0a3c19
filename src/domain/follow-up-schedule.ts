// When follow-ups happen, as pure functions of the record, the calendar and the time: the chaser's
// day, the moment of London's day that means, and how often to ask the BaRS proxy.
import { londonDate, type IsoDate } from './dates.ts';
import type { UrgencyLevel } from './urgency.ts';
import type { WorkingCalendar } from './working-days.ts';

/** How many working days before the earliest test date the chaser goes, by urgency. */
export interface ChaserSettings {
  workingDaysBeforeUrgent: number;
  workingDaysBeforeRoutine: number;
}

/** Chasers go out at the start of a London working morning, when the BaRS team reads its mail. */
export const CHASER_HOUR = 9;

export interface ChaserPlan {
  /** The London working day the reminder goes out. */
  sendOn: IsoDate;
  /** 09:00 London on that day. */
  at: Date;
  /** How many working days before the earliest test date that is. */
  workingDaysBefore: number;
}

export interface SchedulableRecord {
  earliestTestDate?: IsoDate;
  urgency: { level: UrgencyLevel };
  createdAt: string;
}

const londonParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** The instant that is `hour`:00 in London on `date` (GMT or BST, whichever is in force). */
export function londonInstant(date: IsoDate, hour: number): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  for (const offset of [0, 1]) {
    const candidate = new Date(Date.UTC(year, month - 1, day, hour - offset));
    const parts = Object.fromEntries(
      londonParts.formatToParts(candidate).map((part) => [part.type, part.value]),
    );
    if (`${parts.year}-${parts.month}-${parts.day}` === date && Number(parts.hour) === hour) {
      return candidate;
    }
  }
  // Only the hour skipped when the clocks go forward has no instant; its next hour stands in.
  return new Date(Date.UTC(year, month - 1, day, hour));
}

/**
 * The reminder for a request with test dates: N working days before the earliest one (N from
 * config, by urgency), at 09:00 London. None without test dates, and none when that day is not
 * after the day the request was accepted: the original email is the reminder then.
 */
export function chaserPlan(
  record: SchedulableRecord,
  calendar: WorkingCalendar,
  settings: ChaserSettings,
): ChaserPlan | undefined {
  if (record.earliestTestDate === undefined) return undefined;
  const workingDaysBefore =
    record.urgency.level === 'routine'
      ? settings.workingDaysBeforeRoutine
      : settings.workingDaysBeforeUrgent;
  const sendOn = calendar.workingDaysBefore(record.earliestTestDate, workingDaysBefore);
  if (sendOn <= londonDate(new Date(record.createdAt))) return undefined;
  return { sendOn, at: londonInstant(sendOn, CHASER_HOUR), workingDaysBefore };
}

const MINUTE = 60_000;

/**
 * How often the proxy is asked about one request: hourly, every 30 minutes in the last week
 * before testing, every 15 minutes from two working days before (and once overdue).
 */
export function catalogueCheckIntervalMs(
  earliestTestDate: IsoDate | undefined,
  today: IsoDate,
  calendar: WorkingCalendar,
): number {
  if (earliestTestDate === undefined) return 60 * MINUTE;
  if (earliestTestDate <= today) return 15 * MINUTE;
  const left = calendar.workingDaysBetween(today, earliestTestDate);
  if (left <= 2) return 15 * MINUTE;
  if (left <= 5) return 30 * MINUTE;
  return 60 * MINUTE;
}

export function isCatalogueCheckDue(
  lastCheckedAt: string | undefined,
  intervalMs: number,
  now: Date,
): boolean {
  return lastCheckedAt === undefined || now.getTime() - Date.parse(lastCheckedAt) >= intervalMs;
}
