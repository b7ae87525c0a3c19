// The form as a person sends it (no JavaScript): the form page for its CSRF token, Continue, then
// "Send request" on the check page. Tests about what happens after sending use it; tests about
// the steps themselves are in web-journey.test.ts.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { csrfOf } from './web.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function postForm(
  app: FastifyInstance,
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const page = await app.inject({ url, headers });
  return app.inject({
    method: 'POST',
    url,
    headers: { ...FORM, ...headers },
    payload: new URLSearchParams({ _csrf: csrfOf(page.body), ...fields }).toString(),
  });
}

export interface SentForm {
  /** The answer to Continue: 303 to the check page, or the form again with what to fix. */
  continued: LightMyRequestResponse;
  /** The answer to Send request (303 to the request's page), when Continue led to the check page. */
  sent?: LightMyRequestResponse;
  /** The request's id, once sent. */
  id?: string;
}

export async function sendForm(
  app: FastifyInstance,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<SentForm> {
  const continued = await postForm(app, '/', fields, headers);
  const check = continued.statusCode === 303 ? continued.headers.location : undefined;
  if (check === undefined) return { continued };
  const sent = await postForm(app, check, {}, headers);
  const id = /^\/requests\/([^?]+)/.exec(sent.headers.location ?? '')?.[1];
  return id === undefined ? { continued, sent } : { continued, sent, id };
}
