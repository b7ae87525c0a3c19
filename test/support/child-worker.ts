// Runs ecat in child processes, for tests that signal or SIGKILL them: the test worker
// (worker-process.ts) or the real CLI (bin/ecat.js), with output captured and exits awaited.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  process: ChildProcess;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** Resolves once the output contains `text`; rejects if the process ends first or in time. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** The exit code (null after a signal). */
  exit: Promise<number | null>;
  /** SIGKILL if still running: for afterEach. */
  kill(): void;
}

/** `env` is the whole environment: the parent's REDIS_URL and the like do not leak in. */
function start(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    listeners.forEach((listener) => {
      listener();
    });
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  return {
    process: child,
    output: () => output,
    exit,
    waitFor(text, timeoutMs = 20_000) {
      const seen = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          listeners.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        const check = () => {
          if (seen()) done();
        };
        const timer = setTimeout(() => {
          done(new Error(`no "${String(text)}" within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        void exit.then(() => {
          if (!seen()) done(new Error(`exited before "${String(text)}"; output:\n${output}`));
        });
        check();
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The test worker (worker-process.ts); wait for "ready" before relying on it. */
export function spawnTestWorker(env: Record<string, string>): Child {
  return start(['--import', 'tsx', 'test/support/worker-process.ts'], env);
}

/** `ecat <args>` as a user runs it (bin/ecat.js), e.g. `worker` or `start`. */
export function spawnEcat(args: string[], env: Record<string, string>): Child {
  return start(['bin/ecat.js', ...args], env);
}
