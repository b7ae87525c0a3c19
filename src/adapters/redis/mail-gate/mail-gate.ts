// The mail gate: what every email waits for before its SMTP connection opens, shared by every
// worker through Redis (NHSmail, LIBRARIES.md): at most N connections open at once (Exchange
// Online answers a 4th with 432 4.3.2) and at most M emails in any window (30 a minute). One
// named Lua script per step, in this folder.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Redis } from '../connection.ts';

export interface MailLimits {
  /** SMTP connections open at once, across every worker. */
  maxConnections: number;
  /** Emails in any window; 0 turns the rate limit off. */
  perWindow: number;
  windowMs: number;
}

/** One email's place at the gate, its lease renewed until the connection has closed. */
export interface MailSlot {
  /** The send is over (delivered or not): it counts in the rate window from now. */
  finished(): Promise<void>;
  /** Its connection has closed: another email may open one. */
  release(): Promise<void>;
}

export interface MailGate {
  readonly limits: MailLimits;
  /** Waits until both limits allow one more email, then holds a connection slot for it. */
  take(): Promise<MailSlot>;
}

/**
 * A slot's lease, renewed a third of the way through while its connection is open: a worker
 * killed mid-send frees its slot within this long.
 */
export const SLOT_LEASE_MS = 30_000;
/** How soon to ask again while the wait hangs on a send still under way. */
const POLL_MS = 50;

const lua = (file: string) => readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
const SCRIPTS = {
  ecatTakeMailSlot: lua('take-mail-slot.lua'),
  ecatFinishMailSend: lua('finish-mail-send.lua'),
  ecatReleaseMailConnection: lua('release-mail-connection.lua'),
  ecatRenewMailSlot: lua('renew-mail-slot.lua'),
};
const KEY_COUNTS: Record<keyof typeof SCRIPTS, number> = {
  ecatTakeMailSlot: 2,
  ecatFinishMailSend: 1,
  ecatReleaseMailConnection: 1,
  ecatRenewMailSlot: 2,
};

interface GateCommands {
  ecatTakeMailSlot(
    connections: string,
    sends: string,
    token: string,
    maxConnections: number,
    leaseMs: number,
    perWindow: number,
    windowMs: number,
  ): Promise<[number, number]>;
  ecatFinishMailSend(sends: string, token: string, keepMs: number): Promise<number>;
  ecatReleaseMailConnection(connections: string, token: string): Promise<number>;
  ecatRenewMailSlot(
    connections: string,
    sends: string,
    token: string,
    leaseMs: number,
    underWay: 0 | 1,
  ): Promise<number>;
}

export function mailGateKeys(prefix: string) {
  return { connections: `${prefix}:mail:connections`, sends: `${prefix}:mail:sends` };
}

export interface GateTiming {
  sleep?: (ms: number) => Promise<void>;
  leaseMs?: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createMailGate(
  redis: Redis,
  prefix: string,
  limits: MailLimits,
  { sleep = wait, leaseMs = SLOT_LEASE_MS }: GateTiming = {},
): MailGate {
  if (limits.maxConnections < 1)
    throw new RangeError('the mail gate needs one connection at least');
  for (const [name, source] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, {
      lua: source,
      numberOfKeys: KEY_COUNTS[name as keyof typeof SCRIPTS],
    });
  }
  const commands = redis as unknown as GateCommands;
  const keys = mailGateKeys(prefix);
  return {
    limits,
    async take() {
      const token = randomUUID();
      for (;;) {
        const [waitMs, exact] = await commands.ecatTakeMailSlot(
          keys.connections,
          keys.sends,
          token,
          limits.maxConnections,
          leaseMs,
          limits.perWindow,
          limits.windowMs,
        );
        if (waitMs === 0) break;
        await sleep(exact === 1 ? waitMs : Math.min(waitMs, POLL_MS));
      }
      let underWay: 0 | 1 = 1;
      const renewal = setInterval(() => {
        commands
          .ecatRenewMailSlot(keys.connections, keys.sends, token, leaseMs, underWay)
          // A renewal Redis misses only shortens the lease: the next one, or the release, follows.
          .catch(() => undefined);
      }, leaseMs / 3);
      // The renewal never keeps a process alive that has nothing else to do.
      renewal.unref();
      let released = false;
      return {
        async finished() {
          underWay = 0;
          if (limits.perWindow > 0) {
            await commands.ecatFinishMailSend(keys.sends, token, leaseMs + limits.windowMs);
          }
        },
        async release() {
          if (released) return;
          released = true;
          clearInterval(renewal);
          await commands.ecatReleaseMailConnection(keys.connections, token);
        },
      };
    },
  };
}
