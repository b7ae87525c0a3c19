import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from 'fhir/r4.js';
import { catalogueBundle } from '../src/domain/email/catalogue-bundle.ts';
import { createMailer } from '../src/adapters/mail/transport.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import type { AssessedRequest } from '../src/domain/request/record.ts';
import { PermanentMailError, TemporaryMailError } from '../src/ports/mailer.ts';
import { createTemplateRenderer } from '../src/adapters/mail/nunjucks-renderer.ts';
import { messageIdFor } from '../src/domain/email/message.ts';
import { renderConfigurationEmail } from '../src/domain/email/configuration-email.ts';

const renderer = createTemplateRenderer('templates');
const settings = {
  from: 'ecat <ecat@example.nhs.uk>',
  to: 'england.bookingandreferralstandard@nhs.net',
};

function assessed(
  overrides: Partial<AssessedRequest['request']> = {},
  level: 'urgent' | 'high' | 'routine' = 'urgent',
): AssessedRequest {
  return {
    request: {
      dosServiceId: '2000072489',
      environment: 'INT',
      endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      odsCode: 'Y02494',
      serviceName: 'Example Urgent Treatment Centre',
      supplier: 'Example Supplier Ltd',
      testDates: { from: '2026-12-01', to: '2026-12-03' },
      requester: {
        name: 'Alex Morgan',
        email: 'alex.morgan@nhs.net',
        organisation: 'NHS England',
        phone: '0113 496 0000',
      },
      notes: 'Line one\nline two',
      ...overrides,
    },
    urgency: { level, workingDays: 3, reason: 'testing starts in 3 working days' },
    careConnect: {
      status: 'careconnect',
      address: 'ASID:918999198993',
      detail: 'DoS has a CareConnect scheduling endpoint ASID:918999198993 (snapshot).',
    },
    warnings: ['The endpoint uses port 8443.'],
  };
}

function render(input = assessed()) {
  return renderConfigurationEmail(
    {
      id: 'req-1',
      messageId: messageIdFor('req-1', settings.from),
      assessed: input,
      today: '2026-11-24',
      requestedAt: '2026-11-24T10:15:00.000Z',
    },
    settings,
    renderer,
  );
}

describe('rendering the configuration email', () => {
  it('prefixes the subject by urgency and names the environment and service ID', () => {
    expect(render(assessed({}, 'urgent')).subject).toBe(
      '[URGENT] BaRS Endpoint Catalogue: add DoS service 2000072489 (INT) – Example Urgent Treatment Centre',
    );
    expect(render(assessed({}, 'high')).subject).toMatch(/^\[HIGH\] /);
    expect(render(assessed({}, 'routine')).subject).toMatch(/^BaRS Endpoint Catalogue/);
  });

  it('states every fact in both parts', () => {
    const email = render(assessed({ environment: 'PROD', tccReference: 'TCC-2026-0042' }));
    for (const part of [email.text, email.html]) {
      for (const fact of [
        '2000072489',
        'Example Urgent Treatment Centre',
        'Y02494',
        'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
        'PROD',
        'Tuesday 1 December 2026',
        'Thursday 3 December 2026',
        'testing starts in 3 working days',
        'ASID:918999198993',
        'TCC-2026-0042',
        'The endpoint uses port 8443.',
        'Alex Morgan',
        'alex.morgan@nhs.net',
        '0113 496 0000',
        'req-1',
        '34.89.0.111',
        '34.89.69.6',
      ]) {
        expect(part).toContain(fact);
      }
    }
    expect(email.to).toBe('england.bookingandreferralstandard@nhs.net');
    expect(email.cc).toBe('"Alex Morgan" <alex.morgan@nhs.net>');
    expect(email.replyTo).toBe(email.cc);
    expect(email.messageId).toBe('<req-1@example.nhs.uk>');
    expect(email.priority).toBe('high');
    expect(email.headers['X-Ecat-Template']).toMatch(/^configuration-request@[0-9a-f]{12}$/);
  });

  it('escapes markup in the HTML part but not in the text part', () => {
    const email = render(
      assessed({ serviceName: '<script>alert(1)</script>', notes: '<b>bold</b>' }),
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.html).toContain('&lt;b&gt;bold');
    expect(email.text).toContain('<b>bold</b>');
  });

  it('quotes the requester name so it cannot add a recipient', () => {
    const email = render(
      assessed({ requester: { name: 'Morgan, Alex "AM"', email: 'a@nhs.net' } }),
    );
    expect(email.cc).toBe('"Morgan, Alex \\"AM\\"" <a@nhs.net>');
  });

  it('fails loudly on a template that reads a missing value', () => {
    expect(() => renderer.render('configuration-request.text.njk', { request: {} })).toThrow(
      /configuration-request\.text\.njk could not be rendered/,
    );
  });

  it('attaches the catalogue entry as a FHIR Bundle, the same on every retry', () => {
    const [attachment] = render().attachments;
    expect(attachment?.filename).toBe('endpoint-2000072489-INT.json');
    expect(attachment?.contentType).toBe('application/fhir+json');
    expect(JSON.parse(attachment!.content)).toEqual(
      catalogueBundle(assessed().request, {
        id: 'req-1',
        today: '2026-11-24',
        requestedAt: '2026-11-24T10:15:00.000Z',
      }),
    );
    expect(render().attachments[0]?.content).toBe(attachment?.content);
  });

  it('stamps the start of today when the caller gives no time of request', () => {
    const email = renderConfigurationEmail(
      { id: 'req-1', messageId: '<req-1@x>', assessed: assessed(), today: '2026-11-24' },
      settings,
      renderer,
    );
    const bundle = JSON.parse(email.attachments[0]!.content) as Bundle;
    expect(bundle.timestamp).toBe('2026-11-24T00:00:00Z');
  });
});

/** The lines of the text part from a heading up to the next capitalised heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, `no "${heading}" section`).toBeGreaterThanOrEqual(0);
  const rest = text.slice(start + heading.length + 2);
  const next = /\n\n[A-Z][A-Z ]+\n=+\n/.exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

describe('what the email asks of whom', () => {
  const endpoint = 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4';

  it('gives the BaRS team the routing entry, each value alone on its line, and what to do after', () => {
    const email = render(assessed({ endpoint }));
    const forTheTeam = section(email.text, 'FOR THE BARS TEAM');
    for (const value of ['https://fhir.nhs.uk/Id/dos-service-id', '2000072489', endpoint]) {
      expect(forTheTeam.split('\n').map((line) => line.trim())).toContain(value);
      expect(email.html).toMatch(new RegExp(`<code[^>]*>${value.replace(/[./]/g, '\\$&')}</code>`));
    }
    expect(forTheTeam).toMatch(/reply to this email: replies go to the requester, Alex Morgan/);
    expect(email.replyTo).toContain('alex.morgan@nhs.net');
    // The attachment is informative; the text is what the engineer acts on.
    for (const part of [forTheTeam, email.html]) {
      expect(part).toMatch(/for information only\. Enter the values above, not the attachment/);
    }
  });

  it('lists what the requester confirms apart, with the certificate CN and the INT addresses', () => {
    const email = render(assessed({ endpoint }));
    const forTheTeam = section(email.text, 'FOR THE BARS TEAM');
    const confirms = section(email.text, 'THE REQUESTER CONFIRMS');
    expect(confirms).toContain(
      'TLS certificate under the NHS Root CA with CN = bars-int-y02494.example-supplier.thirdparty.nhs.uk, issued for INT through ITOC',
    );
    expect(confirms).toContain('35.197.254.55 and 35.246.55.143');
    expect(confirms).toMatch(/CareConnect scheduling endpoint stays in DoS/);
    expect(email.text).not.toContain('34.89.0.111');
    // None of the receiver's steps is on the engineer's list.
    expect(forTheTeam).not.toMatch(/certificate|35\.197|CareConnect/);
    const html = email.html;
    const confirmsAt = html.indexOf('The requester confirms</h2>');
    expect(confirmsAt).toBeGreaterThan(html.indexOf('For the BaRS team</h2>'));
    expect(html.slice(confirmsAt)).toContain('35.197.254.55 and 35.246.55.143');
  });

  it('gives the Prod addresses and the TCC for a Prod certificate', () => {
    const email = render(
      assessed({
        environment: 'PROD',
        endpoint: 'https://bars-prod-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
        tccReference: 'TCC-2026-0042',
      }),
    );
    for (const part of [section(email.text, 'THE REQUESTER CONFIRMS'), email.html]) {
      expect(part).toContain('34.89.0.111 and 34.89.69.6');
      expect(part).toContain('issued for Prod after the Technical Conformance Certificate');
      expect(part).not.toContain('35.197.254.55');
    }
  });

  it('shows the product ID when given', () => {
    const email = render(assessed({ productId: 'AAA000' }));
    expect(email.text).toMatch(/^Product ID: +AAA000$/m);
    expect(email.html).toContain('AAA000');
    expect(render().text).not.toContain('Product ID');
  });
});

describe('wording', () => {
  const fromSnapshot =
    'DoS has no scheduling endpoint for this service (DoS snapshot config/directory.json), so neither CareConnect nor GP Connect booking is configured. Waived by the requester: "ED does not take direct bookings".';

  function waived() {
    const input = assessed();
    return {
      ...input,
      careConnect: { status: 'waived' as const, detail: fromSnapshot },
      warnings: ['The endpoint uses port 8443.', fromSnapshot],
    };
  }

  it('names the DoS snapshot without a path on our server', () => {
    const email = render(waived());
    for (const part of [email.text, email.html]) {
      expect(part).not.toContain('config/directory.json');
      expect(part).toContain('(DoS snapshot), so neither CareConnect');
    }
  });

  it('states a waiver once, in the CareConnect section, and keeps the other warnings', () => {
    const email = render(waived());
    for (const part of [email.text, email.html]) {
      expect(part.split('ED does not take direct bookings')).toHaveLength(2);
      expect(part).toContain('The endpoint uses port 8443.');
    }
  });

  it('tells urgent and high apart by colour in the HTML, and says nothing for routine', () => {
    const urgent = render(assessed({}, 'urgent')).html;
    const high = render(assessed({}, 'high')).html;
    const routine = render(assessed({}, 'routine')).html;
    expect(urgent).toMatch(/border-left: 8px solid #d5281b[^>]*><strong[^>]*>Urgent<\/strong>/);
    expect(high).toMatch(/border-left: 8px solid #ffb81c[^>]*><strong[^>]*>High<\/strong>/);
    expect(high).not.toContain('#d5281b');
    expect(routine).not.toMatch(/border-left: 8px/);
  });

  it('lets long values wrap on a narrow screen', () => {
    const html = render().html;
    expect(html).toContain('name="viewport"');
    expect(html).toMatch(/table-layout: fixed/);
    expect(html).toMatch(/<code style="[^"]*word-break: break-all[^"]*">https:\/\/BaRS-INT/);
  });
});

describe('sending', () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.close());

  it('delivers headers, both parts and the attachment over SMTP', async () => {
    sink.answer = () => ({ kind: 'accept' });
    const mailer = createMailer({ smtpUrl: sink.url, outboxDir: 'unused' });
    const receipt = await mailer.send(render());
    await mailer.close();
    expect(receipt.response).toMatch(/^250/);
    const mail = sink.messages.at(-1)!;
    expect(mail.messageId).toBe('<req-1@example.nhs.uk>');
    expect(mail.subject).toMatch(/^\[URGENT\] /);
    expect(mail.cc).toMatchObject({
      value: [{ name: 'Alex Morgan', address: 'alex.morgan@nhs.net' }],
    });
    expect(mail.replyTo).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(mail.text).toContain('ASID:918999198993');
    expect(mail.html).toContain('ASID:918999198993');
    expect(mail.attachments.map((a) => a.filename)).toEqual(['endpoint-2000072489-INT.json']);
    expect(mail.headers.get('x-ecat-request-id')).toBe('req-1');
  });

  it('classifies a 550 as permanent, with the code and the text', async () => {
    sink.answer = () => ({ kind: 'refuse', code: 550, message: 'mailbox unavailable' });
    const mailer = createMailer({ smtpUrl: sink.url, outboxDir: 'unused' });
    const error = await mailer.send(render()).catch((e: unknown) => e);
    await mailer.close();
    expect(error).toBeInstanceOf(PermanentMailError);
    expect((error as PermanentMailError).responseCode).toBe(550);
    expect((error as PermanentMailError).response).toMatch(/550.*mailbox unavailable/);
  });

  it('classifies a 451 and a refused connection as temporary', async () => {
    sink.answer = () => ({ kind: 'refuse', code: 451, message: 'try again later' });
    const mailer = createMailer({ smtpUrl: sink.url, outboxDir: 'unused' });
    expect(await mailer.send(render()).catch((e: unknown) => e)).toBeInstanceOf(TemporaryMailError);
    await mailer.close();
    const nowhere = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', outboxDir: 'unused' });
    const error = await nowhere.send(render()).catch((e: unknown) => e);
    await nowhere.close();
    expect(error).toBeInstanceOf(TemporaryMailError);
    expect((error as TemporaryMailError).code).toMatch(/^(ECONNECTION|ESOCKET)$/);
  });

  it('writes a parseable .eml to the outbox when no SMTP server is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ecat-outbox-'));
    try {
      const mailer = createMailer({ outboxDir: dir, now: () => new Date('2026-11-24T10:00:00Z') });
      const receipt = await mailer.send(render());
      const files = await readdir(dir);
      expect(files).toEqual(['2026-11-24T10-00-00-000Z-req-1.eml']);
      expect(receipt.location).toBe(join(dir, files[0]!));
      const mail = await simpleParser(await readFile(join(dir, files[0]!)));
      expect(mail.messageId).toBe('<req-1@example.nhs.uk>');
      expect(mail.attachments).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
