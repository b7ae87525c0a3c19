import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AssessedRequest } from '../src/assess.ts';
import { PermanentMailError, TemporaryMailError } from '../src/email/errors.ts';
import { draftCatalogueEndpoint } from '../src/email/endpoint-resource.ts';
import {
  createTemplateRenderer,
  messageIdFor,
  renderConfigurationEmail,
} from '../src/email/render.ts';
import { createMailer } from '../src/email/transport.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

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

  it('attaches the draft FHIR Endpoint for the catalogue', () => {
    const [attachment] = render().attachments;
    expect(attachment?.filename).toBe('endpoint-2000072489-INT.json');
    expect(attachment?.contentType).toBe('application/fhir+json');
    expect(JSON.parse(attachment!.content)).toEqual(
      draftCatalogueEndpoint(assessed().request, '2026-11-24'),
    );
  });
});

describe('the draft catalogue Endpoint', () => {
  it('carries the service ID, ODS code, address, payload type and start', () => {
    const endpoint = draftCatalogueEndpoint(assessed().request, '2026-11-24');
    expect(endpoint).toMatchObject({
      resourceType: 'Endpoint',
      status: 'active',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2000072489' }],
      connectionType: { code: 'hl7-fhir-msg' },
      payloadType: [{ coding: [{ code: 'bars' }] }],
      managingOrganization: {
        identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y02494' },
      },
      address: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      period: { start: '2026-12-01' },
    });
    const { testDates: _none, ...withoutDates } = assessed().request;
    expect(draftCatalogueEndpoint(withoutDates, '2026-11-24').period).toEqual({
      start: '2026-11-24',
    });
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
