// A real SMTP server on loopback for tests: records what arrives (parsed with mailparser) and can
// be told how to answer each message — accept, refuse with a code, or hold the DATA reply — and
// each recipient (RCPT TO), so one address can be refused while the others are accepted.
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export type SinkAnswer =
  | { kind: 'accept' }
  | { kind: 'refuse'; code: number; message: string }
  /** Never answer DATA: the client waits until it gives up or is killed. */
  | { kind: 'hold' }
  /** Cut every open connection mid-DATA, without a reply. */
  | { kind: 'drop' }
  /** Accept after a pause, so a worker can be caught with a send in hand. */
  | { kind: 'delay'; ms: number };

export type RecipientAnswer =
  { kind: 'accept' } | { kind: 'refuse'; code: number; message: string };

export interface SmtpSink {
  url: string;
  port: number;
  messages: ParsedMail[];
  /** Decides the answer to each message in turn; the default accepts everything. */
  answer: (attempt: number, mail: ParsedMail) => SinkAnswer;
  /**
   * Decides the answer to each RCPT TO; the default accepts every address. useDelivery does not
   * put it back after a test: a test that changes it restores it.
   */
  recipient: (address: string) => RecipientAnswer;
  /** The recipients the server accepted (RCPT TO) for a message it received. */
  recipientsOf(mail: ParsedMail): string[];
  /** Resolves when at least `count` messages have been accepted. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Every DATA received, accepted or not. */
  attempts: number;
  /**
   * As Exchange Online (NHSmail) does: a connection beyond this many open at once is answered
   * `432 4.3.2` and closed. Unset: no limit.
   */
  connectionLimit?: number;
  /** The most connections open at once so far, refused ones included while they lasted. */
  peakConnections: number;
  /** Connections refused for being over `connectionLimit`. */
  busyRefusals: number;
  /** When each accepted message arrived (Date.now()), in order. */
  arrivals: number[];
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const waiters: (() => void)[] = [];
  const envelopes = new WeakMap<ParsedMail, string[]>();
  const sink: SmtpSink = {
    url: '',
    port: 0,
    messages: [],
    attempts: 0,
    peakConnections: 0,
    busyRefusals: 0,
    arrivals: [],
    answer: () => ({ kind: 'accept' }),
    recipient: () => ({ kind: 'accept' }),
    recipientsOf: (mail) => envelopes.get(mail) ?? [],
    async waitForMessages(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (sink.messages.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} messages, got ${sink.messages.length}`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return sink.messages;
    },
    close: () => Promise.resolve(undefined),
  };
  const open = new Set<string>();
  let connected = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(session, callback) {
      connected += 1;
      sink.peakConnections = Math.max(sink.peakConnections, connected);
      if (sink.connectionLimit !== undefined && open.size >= sink.connectionLimit) {
        sink.busyRefusals += 1;
        connected -= 1;
        const busy =
          '4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.';
        callback(Object.assign(new Error(busy), { responseCode: 432 }));
        return;
      }
      open.add(session.id);
      callback();
    },
    onClose(session) {
      if (open.delete(session.id)) connected -= 1;
    },
    onRcptTo(address, _session, callback) {
      const answer = sink.recipient(address.address);
      if (answer.kind === 'refuse') {
        callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      simpleParser(stream).then(
        (mail) => {
          envelopes.set(mail, recipients);
          sink.attempts += 1;
          const answer = sink.answer(sink.attempts, mail);
          if (answer.kind === 'hold') return;
          if (answer.kind === 'drop') {
            for (const socket of sockets) socket.destroy();
            return;
          }
          if (answer.kind === 'delay') {
            setTimeout(() => {
              sink.arrivals.push(Date.now());
              sink.messages.push(mail);
              callback();
              waiters.splice(0).forEach((wake) => {
                wake();
              });
            }, answer.ms);
            return;
          }
          if (answer.kind === 'refuse') {
            const error = Object.assign(new Error(answer.message), { responseCode: answer.code });
            callback(error);
            return;
          }
          sink.arrivals.push(Date.now());
          sink.messages.push(mail);
          callback();
          waiters.splice(0).forEach((wake) => {
            wake();
          });
        },
        (error: unknown) => {
          callback(error as Error);
        },
      );
    },
  });
  // A client killed mid-session resets its connection: expected here, not a test failure.
  server.on('error', () => undefined);
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => {
        resolve();
      });
    });
  return sink;
}
