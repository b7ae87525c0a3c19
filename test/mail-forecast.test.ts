// What an import's summary says about its emails: how long they take at the mail rate, and how
// much of the mailbox's daily recipient quota they use (two recipients each: BaRS, and the Cc).
import { describe, expect, it } from 'vitest';
import { describeForecast, forecastMail } from '../src/domain/mail-forecast.ts';

const NHSMAIL = { perWindow: 30, windowMs: 60_000, dailyRecipients: 10_000 };

describe('the mail forecast', () => {
  it('gives the time at 30 a minute and the share of 10,000 recipients a day', () => {
    expect(forecastMail(1000, NHSMAIL)).toEqual({
      emails: 1000,
      // 34 windows of 30: the first goes at once, the last starts 33 minutes later.
      minutes: 33,
      recipients: 2000,
      dailyRecipients: 10_000,
    });
    expect(describeForecast(forecastMail(1000, NHSMAIL), NHSMAIL)).toBe(
      "1,000 emails to send (at most 30 every 60 s, about 33 min to send); 2,000 of the mailbox's 10,000 recipients a day",
    );
  });

  it('says a batch within the first window goes at once', () => {
    expect(forecastMail(30, NHSMAIL).minutes).toBe(0);
    expect(describeForecast(forecastMail(1, NHSMAIL), NHSMAIL)).toMatch(
      /^1 email to send \(at most 30 every 60 s, within a minute to send\)/,
    );
  });

  it('warns when a batch needs more than a day of the quota', () => {
    const line = describeForecast(forecastMail(6000, NHSMAIL), NHSMAIL);
    expect(line).toMatch(/about 3 h to send/);
    expect(line).toMatch(
      /12,000 of the mailbox's 10,000 recipients a day; more than a day's quota/,
    );
  });

  it('has no wait to speak of without a rate limit', () => {
    const unlimited = { perWindow: 0, windowMs: 60_000, dailyRecipients: 10_000 };
    expect(forecastMail(500, unlimited).minutes).toBe(0);
    expect(describeForecast(forecastMail(500, unlimited), unlimited)).toMatch(/\(no rate limit\)/);
  });
});
