// The `ecat` command line: finds the command, runs it with real streams, exits with its code.
import { config as loadDotEnv } from 'dotenv';
import { EcatError, type ErrorKind, ConfigError } from '../../domain/errors.ts';
import { EXIT, UsageError, writeLine, type CliIo } from './io.ts';
import { helpText, type CliCommand } from './command.ts';

/** Every command, its one line for `ecat --help`, and its module, loaded only when it runs. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: CliCommand }> }> =
  {
    validate: {
      summary: 'check a request: schema, rules, CareConnect',
      load: () => import('./validate.ts'),
    },
    preview: {
      summary: 'print the email a request would become (no Redis needed)',
      load: () => import('./preview.ts'),
    },
    submit: {
      summary: 'accept a request and queue its email',
      load: () => import('./submit.ts'),
    },
    import: {
      summary: 'submit a CSV file of requests, one a row',
      load: () => import('./import.ts'),
    },
    list: {
      summary: 'list requests (default: the outstanding ones)',
      load: () => import('./list.ts'),
    },
    show: {
      summary: 'show a request and its history',
      load: () => import('./show.ts'),
    },
    export: {
      summary: 'write every request to standard output, as NDJSON or CSV',
      load: () => import('./export.ts'),
    },
    archive: {
      summary: 'move closed requests last changed before a date to an archive file',
      load: () => import('./archive.ts'),
    },
    confirm: {
      summary: 'mark a request configured in the catalogue (by hand)',
      load: () => import('./confirm.ts'),
    },
    cancel: {
      summary: 'cancel an outstanding request (by hand)',
      load: () => import('./cancel.ts'),
    },
    'migrate-keys': {
      summary: 'move the Redis keys from an old prefix to QUEUE_PREFIX (for Redis Cluster)',
      load: () => import('./migrate-keys.ts'),
    },
    worker: {
      summary: 'run the worker: emails, reminders, overdue and catalogue checks',
      load: () => import('./worker.ts'),
    },
    serve: {
      summary: 'run the HTTP server: API, form, pages, dashboard, metrics',
      load: () => import('./serve.ts'),
    },
    start: {
      summary: 'run the HTTP server and the worker in one process (npm start)',
      load: () => import('./start.ts'),
    },
  };

/** `ecat --help`: one line a command. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: ecat <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(
      ([name, { summary }]) => `  ecat ${name.padEnd(width)}  ${summary}`,
    ),
    '',
    '`ecat <command> --help` tells what a command takes and does.',
    'Exit codes: 0 ok, 1 refused, 2 usage error or bad configuration, 3 a dependency (Redis) is unreachable.',
  ].join('\n');
}

/** CONTRACT.md's exit codes, by kind of error; a bug is not here: it ends with its stack, exit 1. */
const EXIT_BY_KIND: Record<Exclude<ErrorKind, 'bug'>, number> = {
  invalid: EXIT.usage,
  unavailable: EXIT.unavailable,
  refused: EXIT.refused,
};

/** The one line a known error is told with. */
function errorLine(error: EcatError, name: string): string {
  if (error instanceof UsageError) return `ecat ${name}: ${error.message}`;
  if (error instanceof ConfigError) return `ecat: configuration: ${error.message}`;
  return `ecat: ${error.message}`;
}

async function runCommand(name: string, args: string[], io: CliIo): Promise<number> {
  const entry = COMMANDS[name];
  if (!entry) {
    writeLine(io.stderr, `ecat: unknown command '${name}' (ecat --help lists them)`);
    return EXIT.usage;
  }
  try {
    const { command } = await entry.load();
    const ready = command.parse(args);
    if (ready === 'help') {
      writeLine(io.stdout, helpText(name, entry.summary, command.spec));
      return EXIT.ok;
    }
    return await ready(io);
  } catch (error) {
    // The CLI edge: every command's errors are mapped here, once, by kind.
    if (!(error instanceof EcatError) || error.kind === 'bug') throw error;
    writeLine(io.stderr, errorLine(error, name));
    return EXIT_BY_KIND[error.kind];
  }
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    writeLine(io.stderr, usage());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h') {
    writeLine(io.stdout, usage());
    return EXIT.ok;
  }
  // `ecat help` is `ecat --help`; `ecat help list` is `ecat list --help`.
  if (name === 'help') {
    const [topic] = args;
    return topic === undefined ? runCli(['--help'], io) : runCommand(topic, ['--help'], io);
  }
  return runCommand(name, args, io);
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
