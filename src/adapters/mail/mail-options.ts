// An OutgoingEmail as nodemailer takes it, for every transport (SMTP, the outbox, preview).
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { OutgoingEmail } from '../../domain/email/message.ts';

export function toMailOptions(email: OutgoingEmail): Mail.Options {
  return {
    messageId: email.messageId,
    from: email.from,
    to: email.to,
    ...(email.cc === undefined ? {} : { cc: email.cc }),
    ...(email.replyTo === undefined ? {} : { replyTo: email.replyTo }),
    ...(email.inReplyTo === undefined ? {} : { inReplyTo: email.inReplyTo }),
    ...(email.references === undefined ? {} : { references: email.references }),
    subject: email.subject,
    text: email.text,
    html: email.html,
    priority: email.priority,
    headers: email.headers,
    attachments: email.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: attachment.content,
    })),
  };
}
