// The `ecat` command line: finds the command, runs it with real streams, exits with its code.
import { config as loadDotEnv } from 'dotenv';
import { EcatError, type ErrorKind, ConfigError } from '../../domain/errors.ts';
import { EXIT, UsageError, writeLine, type CliIo, type Command } from './io.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  validate: {
    summary: 'validate FILE|-     check a request: schema, rules, CareConnect',
    load: () => import('./validate.ts'),
  },
  preview: {
    summary: 'preview FILE|-      print the email that would be sent (no Redis needed)',
    load: () => import('./preview.ts'),
  },
  submit: {
    summary: 'submit FILE|- [--json]   accept a request and queue its email',
    load: () => import('./submit.ts'),
  },
  import: {
    summary: 'import FILE.csv|- [--report PATH] [--json]   bulk submit, one request a row',
    load: () => import('./import.ts'),
  },
  list: {
    summary: 'list [--status S] [--json]   list requests (default: outstanding)',
    load: () => import('./list.ts'),
  },
  show: {
    summary: 'show ID [--json]     a request and its history',
    load: () => import('./show.ts'),
  },
  confirm: {
    summary: 'confirm ID           mark a request configured (by hand)',
    load: () => import('./confirm.ts'),
  },
  cancel: {
    summary: 'cancel ID            cancel an outstanding request',
    load: () => import('./cancel.ts'),
  },
  worker: {
    summary: 'worker               run the worker that sends the emails',
    load: () => import('./worker.ts'),
  },
  serve: {
    summary: 'serve                run the HTTP server (API, form, outstanding page, dashboard)',
    load: () => import('./serve.ts'),
  },
  start: {
    summary: 'start                run the HTTP server and the worker (private Redis if none)',
    load: () => import('./start.ts'),
  },
};

export function usage(): string {
  return [
    'usage: ecat <command> [options]',
    '',
    ...Object.values(COMMANDS).map((command) => `  ecat ${command.summary}`),
    '',
    'Exit codes: 0 ok, 1 refused, 2 usage error, 3 a dependency (Redis) is unreachable.',
  ].join('\n');
}

/** CONTRACT.md's exit codes, by kind of error; a bug is not here: it ends with its stack, exit 1. */
const EXIT_BY_KIND: Record<Exclude<ErrorKind, 'bug'>, number> = {
  invalid: EXIT.usage,
  unavailable: EXIT.unavailable,
  refused: EXIT.refused,
};

/** The one line (with the usage, for a usage mistake) a known error is told with. */
function errorLine(error: EcatError, name: string, summary: string): string {
  if (error instanceof UsageError) return `ecat ${name}: ${error.message}\nusage: ecat ${summary}`;
  if (error instanceof ConfigError) return `ecat: configuration: ${error.message}`;
  return `ecat: ${error.message}`;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    writeLine(name === undefined ? io.stderr : io.stdout, usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    writeLine(io.stderr, `ecat: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    const { run } = await command.load();
    return await run(args, io);
  } catch (error) {
    // The CLI edge: every command's errors are mapped here, once, by kind.
    if (!(error instanceof EcatError) || error.kind === 'bug') throw error;
    writeLine(io.stderr, errorLine(error, name, command.summary));
    return EXIT_BY_KIND[error.kind];
  }
}

// Registered only when a long-running command asks, so Ctrl-C still ends `validate` at once.
function waitForStop(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        resolve(signal);
      });
    }
  });
}

/** A closed pipe (`ecat list | head -1`) is the reader saying "enough": end quietly, not with EPIPE. */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

/**
 * The process's own CLI: real streams, `.env`, signals, the exit code. The package's bin calls
 * this, however it was started (npx, npm exec, an installed bin, node bin/ecat.js).
 */
export async function main(argv: string[]): Promise<void> {
  // .env is honoured (CONTRACT.md); variables already set in the environment win.
  loadDotEnv({ quiet: true });
  endQuietlyOnClosedPipe(process.stdout);
  endQuietlyOnClosedPipe(process.stderr);
  const io: CliIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    waitForStop,
    // @types/node says boolean, but isTTY is undefined when stderr is not a terminal.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- see above
    isTTY: Boolean(process.stderr.isTTY),
  };
  try {
    process.exitCode = await runCli(argv, io);
  } catch (error) {
    process.stderr.write(
      `ecat: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
