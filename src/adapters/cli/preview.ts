// `ecat preview FILE|-`: prints the email a request would become. Needs no Redis and sends nothing.
import { randomUUID } from 'node:crypto';
import { type OutgoingEmail, messageIdFor } from '../../domain/email/message.ts';
import { londonDate } from '../../domain/dates.ts';
import { renderRawMessage } from '../mail/transport.ts';
import { EXIT, writeLine } from './io.ts';
import { assessFile } from './assess-file.ts';
import { defineCommand, fileOperand } from './command.ts';
import { describeAssessment } from './report.ts';
import { renderConfigurationEmail } from '../../domain/email/configuration-email.ts';

function readable(email: OutgoingEmail): string {
  const headers: [string, string | undefined][] = [
    ['From', email.from],
    ['To', email.to],
    ['Cc', email.cc],
    ['Reply-To', email.replyTo],
    ['Subject', email.subject],
    ['Message-ID', email.messageId],
    ['Importance', email.priority === 'high' ? 'high' : undefined],
    ...Object.entries(email.headers),
  ];
  return [
    ...headers
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}: ${value}`),
    ...email.attachments.map((a) => `Attachment: ${a.filename} (${a.contentType})`),
    '',
    email.text,
  ].join('\n');
}

export const command = defineCommand(
  {
    operand: fileOperand('the request as JSON'),
    about: [
      'The headers and text body of the email the request would become, checked as `ecat validate`',
      'checks it. Sends and stores nothing, and needs no Redis.',
    ],
    options: {
      raw: { type: 'boolean', description: 'print the MIME message as SMTP would carry it' },
    },
    exits: { 0: 'the email was printed', 1: 'refused, or the file is not JSON' },
  },
  async ({ operand, values }, io) => {
    const assessed = await assessFile(operand, io);
    if (!assessed) return EXIT.refused;
    const { assessment, foundation } = assessed;
    const { config } = foundation;
    if (assessment.outcome !== 'accepted') {
      for (const line of describeAssessment(assessment)) writeLine(io.stderr, line);
      return EXIT.refused;
    }
    // A preview has no stored request: it gets an id of its own so the email reads as the real one.
    const id = `req-${randomUUID()}`;
    const email = renderConfigurationEmail(
      {
        id,
        messageId: messageIdFor(id, config.mail.from),
        assessed: assessment,
        today: londonDate(foundation.now()),
        requestedAt: foundation.now().toISOString(),
      },
      { from: config.mail.from, to: config.mail.to },
      foundation.renderer,
    );
    if (values.raw) {
      // The MIME message as SMTP carries it, CRLFs and all: its parts are encoded, so nothing in it
      // can act on a terminal.
      io.stdout.write(`${await renderRawMessage(email)}\n`);
    } else {
      writeLine(io.stdout, readable(email));
    }
    return EXIT.ok;
  },
);
