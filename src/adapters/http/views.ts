// Page rendering: Nunjucks over our templates/web and nhsuk-frontend's component macros, with the
// CSP nonce the NHS.UK page template needs for its one inline script.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import nunjucks from 'nunjucks';
import { packagePath } from '../package-files.ts';

/** nhsuk-frontend's dist folder: `nhsuk/` holds the macros, the compiled CSS and JS. */
export const FRONTEND_DIR = join(
  dirname(createRequire(import.meta.url).resolve('nhsuk-frontend/package.json')),
  'dist',
);

/** Found from this file, not the working directory, so `npx ecat serve` works from anywhere. */
export const PAGE_TEMPLATES_DIR = packagePath('templates/web');

const shortDate = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});

const londonTime = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  dateStyle: 'medium',
  timeStyle: 'short',
});

export interface Views {
  /** Sends the page as HTML with the given status. */
  send(
    reply: FastifyReply,
    template: string,
    context: Record<string, unknown>,
    status?: number,
  ): FastifyReply;
  /** The NHS.UK "there is a problem with the service" page (503, try again in 30 s). */
  unavailable(reply: FastifyReply, message: string): FastifyReply;
}

export function createViews(templatesDir = PAGE_TEMPLATES_DIR): Views {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([templatesDir, FRONTEND_DIR]),
    { autoescape: true },
  );
  env.addFilter('shortDate', (date: unknown) =>
    typeof date === 'string' ? shortDate.format(new Date(`${date}T00:00:00Z`)) : '',
  );
  env.addFilter('londonTime', (instant: unknown) =>
    typeof instant === 'string' ? londonTime.format(new Date(instant)) : '',
  );
  function send(
    reply: FastifyReply,
    template: string,
    context: Record<string, unknown>,
    status = 200,
  ) {
    const cspNonce = (reply as { cspNonce?: { script?: string } }).cspNonce?.script;
    // Who is looking (access.ts): the header names a signed-in person and shows what their roles open.
    const principal = (reply.request as Partial<FastifyRequest>).principal;
    const viewer = principal && {
      name: principal.person?.name,
      signedIn: principal.via === 'session',
      roles: Object.fromEntries([...principal.roles].map((role) => [role, true])),
    };
    const html = env.render(template, { ...context, cspNonce, viewer });
    return reply.code(status).type('text/html; charset=utf-8').send(html);
  }
  return {
    send,
    unavailable(reply, message) {
      reply.header('retry-after', '30');
      const heading = 'Sorry, there is a problem with the service';
      return send(reply, 'message.njk', { title: 'Service unavailable', heading, message }, 503);
    },
  };
}
