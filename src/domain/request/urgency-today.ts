// A request as the lists show it on a given day: its urgency rated again as of that day while it is
// outstanding, and overdue as CONTRACT.md defines it. The web's outstanding page and CSV download
// and `ecat export --format csv` rate requests here, so the same request reads the same in each.
import { formatLongDate, type IsoDate } from '../dates.ts';
import { rateUrgency, type Urgency, type UrgencyThresholds } from '../urgency.ts';
import type { WorkingCalendar } from '../working-days.ts';
import type { ListedRequest } from './listing.ts';
import { isOutstanding, presentRecord, type RequestRecord } from './record.ts';

export interface UrgencyRating {
  calendar: WorkingCalendar;
  thresholds: UrgencyThresholds;
}

/**
 * The urgency as of `today`, from the earliest test date and the working calendar, as intake
 * rated it on the day it came (a request rated routine a month ago may be urgent now). Once
 * testing has started, it is urgent and says since when.
 */
export function urgencyAsOf(
  record: Pick<RequestRecord, 'earliestTestDate'>,
  today: IsoDate,
  rating: UrgencyRating,
): Urgency {
  const first = record.earliestTestDate;
  if (first !== undefined && first < today) {
    return {
      level: 'urgent',
      workingDays: 0,
      reason: `testing started on ${formatLongDate(first)}`,
    };
  }
  return rateUrgency(first, today, rating.calendar, rating.thresholds);
}

/**
 * A stored record as listed on `today`. A configured or cancelled request keeps the rating it was
 * submitted with, as its own page shows it: how soon testing starts no longer asks anything of
 * anyone.
 */
export function listedOn(
  stored: RequestRecord,
  today: IsoDate,
  rating: UrgencyRating,
): ListedRequest {
  const record = presentRecord(stored, today);
  const urgency = isOutstanding(record.status)
    ? urgencyAsOf(record, today, rating)
    : record.urgency;
  return { record, urgency, overdue: record.overdue };
}
