// A small email ready for any transport, for tests about how it is sent rather than what it says.
import type { OutgoingEmail } from '../../src/domain/email/message.ts';

let sent = 0;

export function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  sent += 1;
  return {
    messageId: `<req-test-${sent}@example.nhs.uk>`,
    from: 'ecat <ecat@example.nhs.uk>',
    to: 'england.bookingandreferralstandard@nhs.net',
    subject: 'BaRS Endpoint Catalogue configuration request',
    text: 'Please add this service to the catalogue.',
    html: '<p>Please add this service to the catalogue.</p>',
    priority: 'normal',
    headers: { 'X-Ecat-Request-Id': `req-test-${sent}` },
    attachments: [],
    ...overrides,
  };
}
