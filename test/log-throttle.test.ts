// A worker that meets the same failure in a loop writes one line per kind per interval, then one
// line saying how often it came back: not a line per attempt.
import pino from 'pino';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { errorKind, throttledLog } from '../src/adapters/log-throttle.ts';

let lines: { msg: string; kind?: string; repeats?: number }[];
let log: pino.Logger;

beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  log = pino({ level: 'info' }, sink);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('throttled error lines', () => {
  it('writes the first of a kind at once, counts the rest, and says how many at the end', () => {
    const trouble = throttledLog(log, 'error', 10_000);
    for (let i = 0; i < 500; i += 1) {
      trouble('ECONNREFUSED', {}, `connect ECONNREFUSED 127.0.0.1:6379 (${i})`);
    }
    trouble('READONLY', {}, 'READONLY You cannot write against a read only replica');
    expect(lines.map((line) => line.msg)).toEqual([
      'connect ECONNREFUSED 127.0.0.1:6379 (0)',
      'READONLY You cannot write against a read only replica',
    ]);
    vi.advanceTimersByTime(10_000);
    expect(lines.at(-1)).toMatchObject({
      kind: 'ECONNREFUSED',
      repeats: 499,
      msg: 'connect ECONNREFUSED 127.0.0.1:6379 (499) (499 more like it in 10 s)',
    });
    // A kind that did not come back says nothing more; a new interval starts with a new line.
    expect(lines).toHaveLength(3);
    trouble('ECONNREFUSED', {}, 'connect ECONNREFUSED again');
    expect(lines.at(-1)?.msg).toBe('connect ECONNREFUSED again');
  });

  it('tells kinds apart by code or reply, not by the ids in the message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(errorKind(refused)).toBe('ECONNREFUSED');
    expect(errorKind(new Error('CROSSSLOT Keys in request do not hash to the same slot'))).toBe(
      'CROSSSLOT',
    );
    expect(errorKind(new Error('Missing lock for job send-1. moveToFinished'))).toBe(
      errorKind(new Error('Missing lock for job send-2. moveToDelayed')),
    );
  });
});
