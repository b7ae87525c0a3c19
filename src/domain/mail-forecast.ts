// When a batch of emails will have gone at the mail rate, and how much of the mailbox's daily
// recipient quota it takes (NHSmail: 30 a minute, 10,000 recipients a day). Each request email
// has two recipients: the BaRS mailbox, and the requester in copy.

export const RECIPIENTS_PER_REQUEST_EMAIL = 2;

export interface MailLimitsForForecast {
  /** Emails in any window; 0 means no limit. */
  perWindow: number;
  windowMs: number;
  dailyRecipients: number;
}

export interface MailForecast {
  emails: number;
  /** How long the last one waits at the rate, at least (0 without a limit). */
  minutes: number;
  recipients: number;
  dailyRecipients: number;
}

export function forecastMail(emails: number, limits: MailLimitsForForecast): MailForecast {
  // The first window's worth goes at once; each further window lets `perWindow` more through.
  const windows = limits.perWindow > 0 ? Math.ceil(emails / limits.perWindow) - 1 : 0;
  return {
    emails,
    minutes: Math.max(0, Math.ceil((windows * limits.windowMs) / 60_000)),
    recipients: emails * RECIPIENTS_PER_REQUEST_EMAIL,
    dailyRecipients: limits.dailyRecipients,
  };
}

const count = (n: number) => n.toLocaleString('en-GB');

function inWords(minutes: number): string {
  if (minutes < 1) return 'within a minute';
  if (minutes < 120) return `about ${minutes} min`;
  return `about ${Math.round(minutes / 60)} h`;
}

/** One line for a person: how long the emails take, and the share of the daily quota. */
export function describeForecast(forecast: MailForecast, limits: MailLimitsForForecast): string {
  const rate =
    limits.perWindow > 0
      ? `at most ${count(limits.perWindow)} every ${limits.windowMs / 1000} s, ${inWords(forecast.minutes)} to send`
      : 'no rate limit';
  const share = `${count(forecast.recipients)} of the mailbox's ${count(forecast.dailyRecipients)} recipients a day`;
  const over =
    forecast.recipients > forecast.dailyRecipients
      ? `; more than a day's quota: mail pauses when the server says it is used up, and the rest goes the next day`
      : '';
  return `${count(forecast.emails)} email${forecast.emails === 1 ? '' : 's'} to send (${rate}); ${share}${over}`;
}
