// The requests list for the BaRS team (GET /requests) and its CSV (GET /requests/export.csv) on the
// real Redis: each filter, the search by DoS Service ID, ODS code and service name, an order that
// holds across pages, pagination links that keep the filters, odd query values read as defaults,
// and an export of exactly the matching requests with formula-safe cells. Requests are filed
// straight into the store with the statuses, dates and ages each test needs.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { personPrincipal, type Principal } from '../src/adapters/http/principal.ts';
import { requestListRoutes } from '../src/adapters/http/request-list.ts';
import { createViews } from '../src/adapters/http/views.ts';
import { parseCsv } from '../src/domain/csv/csv.ts';
import { addDays, londonDate } from '../src/domain/dates.ts';
import { ACTORS, type Person } from '../src/domain/people/person.ts';
import {
  cutPage,
  DEFAULT_QUERY,
  listQueryString,
  pageNumbers,
  parseListQuery,
} from '../src/domain/request/listing.ts';
import type { RequestRecord, RequestStatus } from '../src/domain/request/record.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import { useServer } from './support/web.ts';

// Local mode: the principal has every role, the BaRS team's included.
const web = useServer('web-request-list');

const DAY_MS = 24 * 60 * 60 * 1000;
const today = londonDate(new Date());

interface Seed {
  dosServiceId: string;
  environment?: 'INT' | 'PROD';
  odsCode?: string;
  serviceName?: string;
  status?: RequestStatus;
  /** Days from today to the first test date; none when absent. */
  testInDays?: number;
  /** When it was accepted, in minutes before now. */
  minutesAgo: number;
  submittedBy?: Person;
}

function record(seed: Seed): RequestRecord {
  const id = `req-${randomUUID()}`;
  const createdAt = new Date(Date.now() - seed.minutesAgo * 60_000).toISOString();
  const status = seed.status ?? 'queued';
  const from = seed.testInDays === undefined ? undefined : addDays(today, seed.testInDays);
  return {
    id,
    status,
    messageId: `<${id}@ecat.test>`,
    createdAt,
    updatedAt: createdAt,
    request: {
      dosServiceId: seed.dosServiceId,
      environment: seed.environment ?? 'INT',
      endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      odsCode: seed.odsCode ?? 'Y02494',
      ...(seed.serviceName === undefined ? {} : { serviceName: seed.serviceName }),
      ...(from === undefined ? {} : { testDates: { from } }),
      ...(seed.environment === 'PROD' ? { tccReference: 'TCC-1' } : {}),
      requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net', organisation: 'NHS Test' },
    },
    // As filed on the day it came; the list rates it again as of today.
    urgency: { level: 'routine', workingDays: null, reason: 'no test dates were proposed' },
    careConnect: { status: 'careconnect', detail: 'ASID:918999198993' },
    warnings: [],
    ...(from === undefined ? {} : { earliestTestDate: from }),
    overdue: false,
    history: [
      { at: createdAt, status, event: status, reason: 'filed by the test', actor: ACTORS.cli },
    ],
    ...(seed.submittedBy ? { submittedBy: seed.submittedBy } : {}),
  };
}

/** Files the requests straight into the store; gives their records in the same order. */
async function file<const T extends readonly Seed[]>(
  seeds: T,
): Promise<{ -readonly [K in keyof T]: RequestRecord }> {
  const records = seeds.map(record);
  const results = await web.runtime.store.acceptMany(records.map((r) => ({ record: r })));
  expect(results.every((result) => result.ok)).toBe(true);
  return records as { -readonly [K in keyof T]: RequestRecord };
}

async function get(url: string) {
  const response = await web.app.inject({ url });
  expect(response.statusCode, url).toBe(200);
  return response;
}

/** The ids of the rows a page lists, in its order. */
const rowIds = (html: string) =>
  [...html.matchAll(/<tr class="nhsuk-table__row[^"]*" id="(req-[^"]+)"/g)].map((m) => m[1]);

const showing = (html: string) =>
  /<p class="nhsuk-body" id="showing">([^<]*)<\/p>/.exec(html)?.[1]?.trim();

describe('the list read from the query string (pure)', () => {
  it('reads every unknown value as its default and keeps the first of a repeated one', () => {
    expect(
      parseListQuery({
        status: 'bogus',
        environment: 'mars',
        urgency: 'soon',
        overdue: 'maybe',
        sort: 'up',
        page: '-3',
      }),
    ).toEqual(DEFAULT_QUERY);
    expect(parseListQuery({ page: 'abc' }).page).toBe(1);
    expect(parseListQuery(undefined)).toEqual(DEFAULT_QUERY);
    expect(parseListQuery({ status: ['sent', 'all'], q: ['  rr8 ', 'x'], page: '2' })).toEqual({
      ...DEFAULT_QUERY,
      status: 'sent',
      q: 'rr8',
      page: 2,
    });
    expect(parseListQuery({ environment: 'prod', sort: 'TEST-DATE' })).toMatchObject({
      environment: 'PROD',
      sort: 'test-date',
    });
  });

  it('writes only what differs from the defaults, and the page only past the first', () => {
    expect(listQueryString(DEFAULT_QUERY)).toBe('');
    expect(listQueryString({ ...DEFAULT_QUERY, q: 'a b', sort: 'urgency', page: 3 })).toBe(
      '?q=a+b&sort=urgency',
    );
    expect(listQueryString({ ...DEFAULT_QUERY, status: 'all' }, { page: 2 })).toBe(
      '?status=all&page=2',
    );
  });

  it('cuts a page, the last when asked past the end, and numbers the pages around it', () => {
    const items = Array.from({ length: 73 }, (_, i) => i);
    expect(cutPage(items, 2)).toMatchObject({ page: 2, pageCount: 3, from: 26, to: 50 });
    expect(cutPage(items, 9)).toMatchObject({ page: 3, from: 51, to: 73, total: 73 });
    expect(cutPage([], 1)).toMatchObject({ page: 1, pageCount: 1, from: 0, to: 0 });
    expect(pageNumbers(5, 9)).toEqual([1, undefined, 4, 5, 6, undefined, 9]);
    expect(pageNumbers(1, 2)).toEqual([1, 2]);
  });
});

describe('filters and search', () => {
  // A family of its own (DoS Service IDs 32…), found with the search box in every test.
  let riverside: RequestRecord; // queued, INT, routine, ODS RR8
  let hilltop: RequestRecord; // sent, PROD, testing started yesterday: urgent and overdue
  let formula: RequestRecord; // failed, INT, high, named like a spreadsheet formula
  let closed: RequestRecord; // configured
  let gone: RequestRecord; // cancelled, PROD

  beforeAll(async () => {
    [riverside, hilltop, formula, closed, gone] = await file([
      {
        dosServiceId: '3200000001',
        odsCode: 'RR8',
        serviceName: 'Riverside Clinic',
        minutesAgo: 5 * 24 * 60,
      },
      {
        dosServiceId: '3200000002',
        environment: 'PROD',
        odsCode: 'RR8A1',
        serviceName: 'Hilltop UTC',
        status: 'sent',
        testInDays: -1,
        minutesAgo: 4 * 24 * 60,
      },
      {
        dosServiceId: '3200000003',
        serviceName: '=1+2',
        status: 'failed',
        testInDays: 14,
        minutesAgo: 3 * 24 * 60,
      },
      {
        dosServiceId: '3200000004',
        odsCode: 'ABC12',
        serviceName: 'Closed Place',
        status: 'configured',
        minutesAgo: 2 * 24 * 60,
      },
      {
        dosServiceId: '3200000005',
        environment: 'PROD',
        odsCode: 'ABD99',
        serviceName: 'Gone Away',
        status: 'cancelled',
        minutesAgo: 24 * 60,
      },
    ]);
  });

  const listed = async (query: string) => rowIds((await get(`/requests?q=32&${query}`)).body);

  it('lists the outstanding by default, and each status, or all', async () => {
    expect(await listed('')).toEqual([riverside.id, hilltop.id, formula.id]);
    expect(await listed('status=outstanding')).toEqual([riverside.id, hilltop.id, formula.id]);
    expect(await listed('status=queued')).toEqual([riverside.id]);
    expect(await listed('status=sent')).toEqual([hilltop.id]);
    expect(await listed('status=failed')).toEqual([formula.id]);
    expect(await listed('status=configured')).toEqual([closed.id]);
    expect(await listed('status=cancelled')).toEqual([gone.id]);
    expect(await listed('status=all')).toEqual([
      riverside.id,
      hilltop.id,
      formula.id,
      closed.id,
      gone.id,
    ]);
  });

  it('filters by environment, urgency as of today, and overdue', async () => {
    expect(await listed('status=all&environment=PROD')).toEqual([hilltop.id, gone.id]);
    expect(await listed('environment=INT')).toEqual([riverside.id, formula.id]);
    expect(await listed('urgency=urgent')).toEqual([hilltop.id]);
    expect(await listed('urgency=high')).toEqual([formula.id]);
    expect(await listed('urgency=routine')).toEqual([riverside.id]);
    expect(await listed('overdue=yes')).toEqual([hilltop.id]);
    expect(await listed('overdue=yes&environment=INT')).toEqual([]);
    const page = (await get('/requests?q=32&overdue=yes')).body;
    expect(page).toContain('1 overdue');
    expect(page).toMatch(/<tr class="nhsuk-table__row ecat-overdue" id="[^"]+"/);
    // Each filter is shown as chosen, so the next change starts from it.
    expect(page).toMatch(/id="overdue" name="overdue" type="checkbox" value="yes" checked>/);
    expect((await get('/requests?environment=PROD')).body).toMatch(
      /<option value="PROD" selected>/,
    );
  });

  it('searches by the start of a DoS Service ID, an ODS code, or any part of a name', async () => {
    const search = async (q: string) =>
      rowIds((await get(`/requests?status=all&q=${encodeURIComponent(q)}`)).body);
    expect(await search('3200000003')).toEqual([formula.id]);
    expect(await search('32000000')).toHaveLength(5);
    // Digits found in the middle of an ID are not a match.
    expect(await search('00000003')).toEqual([]);
    // ODS codes: exactly or by their start, whatever the case.
    expect(await search('rr8')).toEqual([riverside.id, hilltop.id]);
    expect(await search('RR8A1')).toEqual([hilltop.id]);
    expect(await search('ab')).toEqual([closed.id, gone.id]);
    expect(await search('R8')).toEqual([]);
    // Service names: any part, ignoring case.
    expect(await search('HILLTOP')).toEqual([hilltop.id]);
    expect(await search('side cli')).toEqual([riverside.id]);
    expect(await search('=1+')).toEqual([formula.id]);
    const none = (await get('/requests?q=no-such-service')).body;
    expect(rowIds(none)).toEqual([]);
    expect(showing(none)).toBe('No requests match these filters.');
  });

  it('answers odd query values with the default list, never an error', async () => {
    const plain = rowIds((await get('/requests?q=32')).body);
    for (const odd of [
      'status=bogus',
      'environment=mars',
      'urgency=%00',
      'overdue=maybe',
      'sort=sideways',
      'page=-1',
      'page=abc',
      'page=99999999999999999999',
      'status=all&status=queued',
      'q[]=x',
    ]) {
      const response = await web.app.inject({ url: `/requests?q=32&${odd}` });
      expect(response.statusCode, odd).toBe(200);
      if (!odd.startsWith('status=all') && !odd.startsWith('q[]')) {
        expect(rowIds(response.body), odd).toEqual(plain);
      }
    }
    const csv = await web.app.inject({ url: '/requests/export.csv?status=nope&page=x' });
    expect(csv.statusCode).toBe(200);
  });

  it('exports exactly the matching requests as CSV, formula-safe, with the link carrying the filters', async () => {
    const page = (await get('/requests?q=32&status=all&environment=INT')).body;
    const link = /<a href="([^"]+)" download>Download these requests \(CSV\)<\/a>/.exec(page)?.[1];
    expect(link).toBe('/requests/export.csv?status=all&amp;environment=INT&amp;q=32');

    const response = await web.app.inject({ url: link!.replaceAll('&amp;', '&') });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="ecat-requests-${today}.csv"`,
    );
    const [header, ...rows] = parseCsv(response.body).map((r) => r.cells);
    expect(header).toEqual([
      'reference',
      'id',
      'status',
      'environment',
      'dosServiceId',
      'odsCode',
      'serviceName',
      'urgency',
      'firstTestDate',
      'overdue',
      'submittedOn',
      'requesterName',
      'requesterEmail',
      'requesterOrganisation',
    ]);
    expect(rows.map((row) => row[1])).toEqual([riverside.id, formula.id, closed.id]);
    const formulaRow = rows.find((row) => row[1] === formula.id)!;
    expect(formulaRow).toEqual([
      referenceFor(formula.id),
      formula.id,
      'failed',
      'INT',
      '3200000003',
      'Y02494',
      "'=1+2",
      'high',
      addDays(today, 14),
      'no',
      londonDate(new Date(formula.createdAt)),
      'Alex Morgan',
      'alex.morgan@nhs.net',
      'NHS Test',
    ]);

    const overdue = await web.app.inject({ url: '/requests/export.csv?q=32&overdue=yes' });
    const [, only] = parseCsv(overdue.body).map((r) => r.cells);
    expect(only?.[1]).toBe(hilltop.id);
    expect(only?.slice(7, 10)).toEqual(['urgent', addDays(today, -1), 'yes']);
    expect(parseCsv(overdue.body)).toHaveLength(2);
  });
});

describe('order and pages', () => {
  // Thirty requests (DoS Service IDs 31…), accepted a minute apart, the oldest first: every third
  // urgent (testing tomorrow), high (in two weeks) or routine (no date), so age and urgency disagree.
  const LEVELS = ['urgent', 'high', 'routine'] as const;
  let records: RequestRecord[];
  let byAge: string[];

  beforeAll(async () => {
    records = await file(
      Array.from({ length: 30 }, (_, i) => ({
        dosServiceId: String(3100000001 + i),
        serviceName: `Sorted service ${i + 1}`,
        minutesAgo: 600 - i,
        ...(i % 3 === 2 ? {} : { testInDays: i % 3 === 0 ? 1 : 14 }),
      })),
    );
    byAge = records.map((r) => r.id);
  });

  const levelOf = (i: number) => LEVELS[i % 3]!;
  /** Urgent, then high, then routine; within one, the oldest first (their test dates are equal). */
  const byUrgency = () => LEVELS.flatMap((level) => byAge.filter((_id, i) => levelOf(i) === level));

  it('sorts the whole list before cutting the page: page 2 holds what a global sort puts there', async () => {
    const first = (await get('/requests?q=31&sort=urgency')).body;
    const second = (await get('/requests?q=31&sort=urgency&page=2')).body;
    expect(rowIds(first)).toEqual(byUrgency().slice(0, 25));
    expect(rowIds(second)).toEqual(byUrgency().slice(25));
    expect(showing(first)).toBe('Showing 1 to 25 of 30 requests.');
    expect(showing(second)).toBe('Showing 26 to 30 of 30 requests.');

    expect(rowIds((await get('/requests?q=31&page=2')).body)).toEqual(byAge.slice(25));
    expect(rowIds((await get('/requests?q=31&sort=newest')).body)).toEqual(
      [...byAge].reverse().slice(0, 25),
    );
    // By test date: tomorrow's (oldest first), then in two weeks, then those with no date.
    const byTestDate = rowIds((await get('/requests?q=31&sort=test-date&page=2')).body);
    expect(byTestDate).toEqual(byUrgency().slice(25));
    // A page past the end shows the last.
    expect(rowIds((await get('/requests?q=31&page=7')).body)).toEqual(byAge.slice(25));
  });

  it('links every page, the previous and the next, keeping the filters and the order', async () => {
    const page = (await get('/requests?q=31&sort=urgency&page=2')).body;
    expect(page).toContain('nhsuk-pagination--numbered');
    expect(page).toContain('href="/requests?q=31&amp;sort=urgency" aria-label="Page 1"');
    expect(page).toMatch(
      /<a class="nhsuk-pagination__link" href="\/requests\?q=31&amp;sort=urgency&amp;page=2" aria-label="Page 2"\s+aria-current="page">/,
    );
    expect(page).toMatch(
      /href="\/requests\?q=31&amp;sort=urgency" class="nhsuk-pagination__previous"/,
    );
    expect(page).not.toContain('nhsuk-pagination__next');
    const first = (await get('/requests?q=31&sort=urgency')).body;
    expect(first).toMatch(
      /href="\/requests\?q=31&amp;sort=urgency&amp;page=2" class="nhsuk-pagination__next"/,
    );
    // The order links keep the search and start again at page 1.
    expect(page).toContain('<a href="/requests?q=31">Sort by age</a>');
    // One page needs no pagination.
    expect((await get('/requests?q=3100000001')).body).not.toContain('nhsuk-pagination');
  });

  it('exports the whole filtered list, not one page, in the page’s order', async () => {
    const response = await web.app.inject({ url: '/requests/export.csv?q=31&sort=urgency&page=2' });
    const rows = parseCsv(response.body)
      .slice(1)
      .map((r) => r.cells);
    expect(rows.map((row) => row[1])).toEqual(byUrgency());
    expect(rows.map((row) => row[7])).toEqual(byUrgency().map((id) => levelOf(byAge.indexOf(id))));
  });

  it('counts days since submission and keeps the reference search on the page', async () => {
    const page = (await get('/requests?q=3100000001')).body;
    expect(page).toContain('action="/requests/find"');
    expect(page).toContain('<title>Outstanding requests');
    const oldest = records[0]!;
    const days = Math.floor((Date.now() - Date.parse(oldest.createdAt)) / DAY_MS);
    expect(page).toContain(`Days since submitted </span>${days}</td>`);
    expect((await get('/requests?q=31&status=all')).body).toContain('<title>Requests');
  });
});

describe('who sees what', () => {
  const sam: Person = { subject: 'sub-sam', name: 'Sam Lee', email: 'sam.lee@nhs.net' };
  const kim: Person = { subject: 'sub-kim', name: 'Kim Ng', email: 'kim.ng@nhs.net' };
  let own: RequestRecord;
  let theirs: RequestRecord;

  beforeAll(async () => {
    [own, theirs] = await file([
      { dosServiceId: '3400000001', submittedBy: sam, minutesAgo: 30 },
      { dosServiceId: '3400000002', submittedBy: kim, minutesAgo: 20 },
    ]);
  });

  /**
   * The list's routes with the principal the access gate would leave (access.ts decides it from a
   * session, which this file does not sign in for).
   */
  async function listAs(principal: Principal, url: string) {
    const app = Fastify();
    app.decorateRequest('principal', null as unknown as Principal);
    app.addHook('onRequest', (request, _reply, done) => {
      request.principal = principal;
      done();
    });
    const { calendar, thresholds } = web.runtime.foundation;
    await app.register(requestListRoutes, {
      store: web.runtime.store,
      views: createViews(),
      now: () => Date.now(),
      rating: { calendar, thresholds },
    });
    try {
      return await app.inject({ url });
    } finally {
      await app.close();
    }
  }

  it('shows a requester alone only their own requests, as "Your requests", with no CSV link', async () => {
    const page = await listAs(personPrincipal(sam, ['requester'], 'session'), '/requests?q=34');
    expect(page.statusCode).toBe(200);
    expect(rowIds(page.body)).toEqual([own.id]);
    expect(page.body).toContain('<h1 class="nhsuk-heading-l">Your requests</h1>');
    expect(page.body).not.toContain('Download these requests (CSV)');
  });

  it('shows the BaRS team everyone’s, with the CSV link', async () => {
    const page = await listAs(personPrincipal(kim, ['bars-team'], 'session'), '/requests?q=34');
    expect(rowIds(page.body)).toEqual([own.id, theirs.id]);
    expect(page.body).toContain('<h1 class="nhsuk-heading-l">Outstanding requests</h1>');
    expect(page.body).toContain('Download these requests (CSV)');
    // A viewer sees every request too, but may not download them.
    const viewer = await listAs(personPrincipal(kim, ['viewer'], 'session'), '/requests?q=34');
    expect(rowIds(viewer.body)).toEqual([own.id, theirs.id]);
    expect(viewer.body).not.toContain('Download these requests (CSV)');
  });
});
