// One HTTP GET that sends exactly the headers it is given. DoS Search answers any header it does
// not list with 400 (organization_headers.py forbids extras), and Node's fetch — which
// fhir-kit-client uses — adds `sec-fetch-mode: cors` to every request and cannot be told not to
// (nodejs/undici#1305). So the DoS Search adapter asks through node:http(s) instead.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { EcatError } from '../../domain/errors.ts';

/** Answers this large are not DoS Search's: one organisation's Bundle is a few kilobytes. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The server answered with a status that is not 2xx; its body parsed as JSON when it was. */
export class HttpStatusError extends EcatError {
  override readonly name = 'HttpStatusError';
  /** 5xx, 429 and 408 say "not now"; any other status is the server's answer to this request. */
  override get kind(): 'unavailable' | 'refused' {
    return this.retryable ? 'unavailable' : 'refused';
  }
  override get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || this.status === 408;
  }
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | undefined;
  constructor(status: number, body: unknown, retryAfter: string | undefined) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

/** No answer: refused, reset or unresolvable (the socket's own error is the cause). */
export class HttpNetworkError extends EcatError {
  override readonly name = 'HttpNetworkError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.destroy(new HttpNetworkError(`the answer is over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    response.on('error', reject);
  });
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * GETs `url` with these headers and no others (node adds only Host and Connection, which is
 * hop-by-hop) and resolves with the JSON body of a 2xx answer. Rejects with HttpStatusError for
 * any other status, HttpNetworkError when nothing answers, a SyntaxError for a 2xx body that is
 * not JSON, and an AbortError when `signal` fires first.
 */
export function getJson(
  url: URL,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Looked up at call time, not bound at import: instrumentation (and msw in tests) wraps them.
    const send = url.protocol === 'https:' ? https.request : http.request;
    const request = send(url, { method: 'GET', headers, signal }, (response) => {
      readBody(response).then((text) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const retryAfter = response.headers['retry-after'];
          reject(new HttpStatusError(status, parsed(text), retryAfter));
          return;
        }
        try {
          resolve(JSON.parse(text) as unknown);
        } catch (error) {
          reject(error instanceof Error ? error : new SyntaxError(String(error)));
        }
      }, reject);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') reject(error);
      else reject(new HttpNetworkError(error.code ?? error.message, { cause: error }));
    });
    request.end();
  });
}
