// The session cookie: the session's id and its signature (so a forged or altered cookie is refused
// before Redis is asked), HttpOnly, SameSite=Lax, and Secure whenever the page came over HTTPS
// (directly, or by a proxy TRUST_PROXY believes).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Signer } from '../signing.ts';

export const SESSION_COOKIE = 'ecat_session';

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** The session id the request's cookie carries, if its signature holds. */
export function sessionIdOf(request: FastifyRequest, signer: Signer): string | undefined {
  const value = cookieValue(request, SESSION_COOKIE);
  const separator = value?.lastIndexOf('.') ?? -1;
  if (value === undefined || separator < 0) return undefined;
  const id = value.slice(0, separator);
  return signer.verify('session', id, value.slice(separator + 1)) ? id : undefined;
}

function attributes(request: FastifyRequest, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  signer: Signer,
  id: string,
  maxAgeSeconds: number,
): void {
  const value = `${id}.${signer.sign('session', id)}`;
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; ${attributes(request, maxAgeSeconds)}`);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${attributes(request, 0)}`);
}
