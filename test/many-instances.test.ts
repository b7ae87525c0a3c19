// Many instances on one Redis, as a deployment runs them: two `ecat serve` behind a round-robin
// proxy (written here) and two `ecat worker`, all real processes. One client's post limit holds
// whichever server answers, and DoS Search (the stand-in, on loopback) sees no more than
// DIRECTORY_RATE_LIMIT requests in any second while both workers import at once.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCsv } from '../src/domain/csv/csv.ts';
import { spawnEcat, type Child } from './support/child-worker.ts';
import {
  dosState,
  schedulingEndpoint,
  startDosSearchServer,
  type DosSearchServer,
} from './support/dos-directory.ts';
import {
  deletePrefix,
  testDatesIn,
  testEnv,
  uniquePrefix,
  VALID_REQUESTER,
  VALID_SERVICE,
} from './support/ecat.ts';
import { until } from './support/poll.ts';
import { freePort } from './support/redis-server.ts';
import { csrfOf } from './support/web.ts';
import { mostInAnyWindow } from './support/timing.ts';

const DIRECTORY_RATE_LIMIT = 9;
const API_RATE_LIMIT = 5;
/** Organisations per file: each import asks DoS Search once for each. */
const ROWS = 30;

interface Proxy {
  url: string;
  close(): Promise<void>;
}

/**
 * A load balancer: each request to the next upstream in turn, with the client's address added to
 * X-Forwarded-For (as ingress-nginx does), and which upstream answered in `x-test-upstream`.
 */
async function startRoundRobinProxy(ports: readonly number[]): Promise<Proxy> {
  let turn = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = turn % ports.length;
    turn += 1;
    const forwardedFor = [incoming.headers['x-forwarded-for'], incoming.socket.remoteAddress]
      .filter((part) => part !== undefined)
      .join(', ');
    const onward = request(
      {
        host: '127.0.0.1',
        port: ports[upstream],
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, 'x-forwarded-for': forwardedFor },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, {
          ...answer.headers,
          'x-test-upstream': String(upstream),
        });
        answer.pipe(outgoing);
      },
    );
    onward.on('error', () => {
      outgoing.writeHead(502).end();
    });
    incoming.pipe(onward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const HEADER = [
  'dosServiceId',
  'environment',
  'endpoint',
  'odsCode',
  'testDates.from',
  'requester.name',
  'requester.email',
];

/** A file of `ROWS` requests, each of its own organisation, so each costs one lookup. */
function importFile(first: number, odsLetter: string): string {
  const from = testDatesIn(60).from;
  const rows = Array.from({ length: ROWS }, (_, i) => [
    String(first + i),
    'INT',
    VALID_SERVICE.endpoint,
    `${odsLetter}${String(10000 + i)}`,
    from,
    VALID_REQUESTER.name,
    VALID_REQUESTER.email,
  ]);
  return formatCsv([HEADER, ...rows]);
}

describe('two servers and two workers on one Redis', () => {
  const prefix = uniquePrefix('many-instances');
  const dos = dosState({ endpoints: [schedulingEndpoint('ASID:918999198993')] });
  const children: Child[] = [];
  const workers: Child[] = [];
  let dosServer: DosSearchServer;
  let proxy: Proxy;
  let outbox = '';

  beforeAll(async () => {
    dosServer = await startDosSearchServer(dos);
    outbox = await mkdtemp(join(tmpdir(), 'ecat-many-'));
    const ports = [await freePort(), await freePort()];
    const env = testEnv(prefix, {
      DIRECTORY_URL_INT: dosServer.base,
      APIM_ACCESS_TOKEN: 'token-1',
      DIRECTORY_RATE_LIMIT: String(DIRECTORY_RATE_LIMIT),
      API_RATE_LIMIT_PER_MINUTE: String(API_RATE_LIMIT),
      TRUST_PROXY: 'loopback',
      OUTBOX_DIR: outbox,
      LOG_LEVEL: 'info',
    });
    const servers = ports.map((port) =>
      spawnEcat(['serve'], { ...env, PORT: String(port), HOST: '127.0.0.1' }),
    );
    workers.push(spawnEcat(['worker'], env), spawnEcat(['worker'], env));
    children.push(...servers, ...workers);
    await Promise.all([
      ...servers.map((server) => server.waitFor('HTTP server on', 30_000)),
      ...workers.map((worker) => worker.waitFor('worker started', 30_000)),
    ]);
    proxy = await startRoundRobinProxy(ports);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.process.kill('SIGTERM');
    await Promise.all(children.map((child) => child.exit));
    await proxy.close();
    await dosServer.close();
    await rm(outbox, { recursive: true, force: true });
    await deletePrefix(prefix);
  });

  const post = (client: string) =>
    fetch(`${proxy.url}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      // Refused as invalid (400) before DoS Search is asked: only the limit is at work.
      body: '{}',
    });

  it(`holds one client to ${API_RATE_LIMIT} posts a minute across both servers`, async () => {
    const answers: { status: number; server: string | null }[] = [];
    for (let i = 0; i < API_RATE_LIMIT + 3; i += 1) {
      const response = await post('203.0.113.7');
      answers.push({ status: response.status, server: response.headers.get('x-test-upstream') });
    }
    const refused = answers.filter((answer) => answer.status === 429);
    console.log(
      `POST /api/requests through the proxy: ${answers.length} posts, ${refused.length} answered 429 (limit ${API_RATE_LIMIT} a minute), by server ${answers.map((a) => a.server ?? '?').join('')}`,
    );
    expect(answers.map((answer) => answer.status)).toEqual([
      ...Array<number>(API_RATE_LIMIT).fill(400),
      429,
      429,
      429,
    ]);
    // Both servers refused: the count is Redis's, not either process's.
    expect(new Set(refused.map((answer) => answer.server))).toEqual(new Set(['0', '1']));
    // Another client behind the same proxy has a budget of its own.
    expect((await post('203.0.113.8')).status).toBe(400);
  });

  it(`keeps DoS Search to ${DIRECTORY_RATE_LIMIT} requests in any second while both workers import`, async () => {
    async function upload(name: string, csv: string): Promise<string> {
      const page = await fetch(`${proxy.url}/import`);
      expect(page.status).toBe(200);
      const form = new FormData();
      // The token before the file, as the page's form sends it.
      form.append('_csrf', csrfOf(await page.text()));
      form.append('file', new Blob([csv], { type: 'text/csv' }), name);
      const posted = await fetch(`${proxy.url}/import`, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      expect(posted.status).toBe(303);
      return posted.headers.get('location') ?? '';
    }
    const pages = [
      await upload('first.csv', importFile(6_100_000_000, 'A')),
      await upload('second.csv', importFile(6_200_000_000, 'B')),
    ];
    const finished = await until(
      async () => {
        const bodies = await Promise.all(
          pages.map(async (page) => (await fetch(`${proxy.url}${page}`)).text()),
        );
        return bodies.every((body) => body.includes('Import finished')) && bodies;
      },
      40_000,
      'both imports to finish',
    );
    expect(finished[0]).toContain(
      `imported first.csv: ${ROWS} rows, ${ROWS} accepted, 0 refused; ${ROWS} directory lookups`,
    );
    expect(finished[1]).toContain(
      `imported second.csv: ${ROWS} rows, ${ROWS} accepted, 0 refused; ${ROWS} directory lookups`,
    );
    // One import each: both workers asked DoS Search at the same time.
    for (const worker of workers) expect(worker.output()).toMatch(/imported (first|second)\.csv/);

    expect(dos.refused).toEqual([]);
    const times = dos.seen.map((seen) => seen.at ?? 0).sort((a, b) => a - b);
    expect(times).toHaveLength(2 * ROWS);
    const most = mostInAnyWindow(times, 1000);
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    console.log(
      `DoS Search stand-in: ${times.length} requests over ${Math.round(span)} ms, at most ${most} in any 1 s window (DIRECTORY_RATE_LIMIT=${DIRECTORY_RATE_LIMIT})`,
    );
    expect(most).toBeLessThanOrEqual(DIRECTORY_RATE_LIMIT);
  }, 50_000);
});
