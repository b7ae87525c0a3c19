// The composition root: builds every adapter from the configuration and hands them in.
// Nothing below this file reads configuration or chooses an adapter by itself.
import { readFile } from 'node:fs/promises';
import type { AssessDeps } from './assess.ts';
import { createDirectory } from './careconnect/create-directory.ts';
import type { Config } from './config.ts';
import { createTemplateRenderer, type TemplateRenderer } from './email/render.ts';
import { calendarFromFeed, type WorkingCalendar } from './request/working-days.ts';

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export async function loadCalendar(file: string): Promise<WorkingCalendar> {
  let feed: unknown;
  try {
    feed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read bank holidays from ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return calendarFromFeed(feed);
}

/** What assessing a request and rendering its email need: no Redis, no SMTP. */
export interface Foundation extends AssessDeps {
  config: Config;
  renderer: TemplateRenderer;
}

export async function createFoundation(
  config: Config,
  now: Clock = systemClock,
): Promise<Foundation> {
  const [calendar, directory] = await Promise.all([
    loadCalendar(config.bankHolidaysFile),
    createDirectory(config.directory),
  ]);
  return {
    config,
    calendar,
    directory,
    thresholds: config.urgency,
    now,
    renderer: createTemplateRenderer('templates'),
  };
}
