// Urgency from the proposed test dates (our policy, DOMAIN.md "Urgency"): the fewer working days
// until testing starts, the sooner the BaRS team should act.
import type { IsoDate } from './dates.ts';
import type { WorkingCalendar } from './working-days.ts';

export const URGENCY_LEVELS = ['urgent', 'high', 'routine'] as const;
export type UrgencyLevel = (typeof URGENCY_LEVELS)[number];

export interface Urgency {
  level: UrgencyLevel;
  /** Working days from today to the earliest test date; null when no date was given. */
  workingDays: number | null;
  /** The reason in words, for the email and the user: "testing starts in 3 working days". */
  reason: string;
}

export interface UrgencyThresholds {
  urgentMaxWorkingDays: number;
  highMaxWorkingDays: number;
  /** A first test date closer than this earns the lead-time warning (default: the urgent one). */
  minLeadWorkingDays?: number;
}

export const DEFAULT_URGENCY_THRESHOLDS: UrgencyThresholds = {
  urgentMaxWorkingDays: 5,
  highMaxWorkingDays: 15,
};

function describe(workingDays: number): string {
  if (workingDays === 0) return 'testing starts today or before the next working day';
  if (workingDays === 1) return 'testing starts in 1 working day';
  return `testing starts in ${workingDays} working days`;
}

export function rateUrgency(
  earliestTestDate: IsoDate | undefined,
  today: IsoDate,
  calendar: WorkingCalendar,
  thresholds: UrgencyThresholds,
): Urgency {
  if (earliestTestDate === undefined) {
    return { level: 'routine', workingDays: null, reason: 'no test dates were proposed' };
  }
  const workingDays = calendar.workingDaysBetween(today, earliestTestDate);
  const level: UrgencyLevel =
    workingDays <= thresholds.urgentMaxWorkingDays
      ? 'urgent'
      : workingDays <= thresholds.highMaxWorkingDays
        ? 'high'
        : 'routine';
  return { level, workingDays, reason: describe(workingDays) };
}
