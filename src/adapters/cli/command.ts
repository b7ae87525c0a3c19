// How a command is declared: its operand and options, each once, parsed with node:util's
// parseArgs; the same declaration writes its `--help` and words a mistake as one line (exit 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type CliIo } from './io.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** What the help calls a string option's value: `--limit N`. */
  value?: string;
  /** The only values a string option takes, checked here and listed in the help. */
  choices?: readonly string[];
  default?: string;
  description: string;
}

type OptionSpecs = Record<string, OptionSpec>;

/** CONTRACT.md's exit codes a command can end with; 2 (a usage error) is every command's. */
type ExitMeanings = Partial<Record<0 | 1 | 3, string>>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The one argument the command takes, if any, as the usage line names it. */
  operand?: { name: string; description: string };
  /** What the command does, after its one-line summary. */
  about: readonly string[];
  options: O;
  exits: ExitMeanings;
}

type Values<O extends OptionSpecs> = {
  [K in keyof O]: O[K]['type'] extends 'boolean'
    ? boolean
    : O[K] extends { default: string }
      ? string
      : string | undefined;
};

export type Parsed<S extends CommandSpec> = { values: Values<S['options']> } & (S extends {
  operand: object;
}
  ? { operand: string }
  : object);

export interface CliCommand {
  readonly spec: CommandSpec;
  /** The arguments checked against the declaration (a UsageError if wrong), or the help asked for. */
  parse(args: string[]): 'help' | ((io: CliIo) => Promise<number>);
}

/** The meaning of exit 3 for a command that needs Redis. */
export const REDIS_UNREACHABLE = 'Redis is unreachable';

/** The operand of the commands that read a request or a CSV file. */
export function fileOperand(what: string): { name: string; description: string } {
  return { name: 'FILE', description: `${what}: a file, or - for standard input` };
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };
const USAGE_EXIT =
  'a usage error (an unknown option, a bad value, a missing argument) or bad configuration';

export function defineCommand<const S extends CommandSpec>(
  spec: S,
  run: (parsed: Parsed<S>, io: CliIo) => Promise<number>,
): CliCommand {
  return {
    spec,
    parse(args) {
      const parsed = parseCommand(spec, args);
      return parsed === 'help' ? 'help' : (io) => run(parsed, io);
    },
  };
}

function withHelp(spec: CommandSpec): OptionSpecs {
  return { ...spec.options, help: HELP };
}

function nodeOptions(options: OptionSpecs): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    // parseArgs refuses a `short` or `default` key that is present but undefined.
    Object.entries(options).map(([name, { type, short, default: fallback }]) => [
      name,
      {
        type,
        ...(short === undefined ? {} : { short }),
        ...(type === 'boolean' ? { default: false } : {}),
        ...(fallback === undefined ? {} : { default: fallback }),
      },
    ]),
  );
}

function parseCommand<S extends CommandSpec>(spec: S, args: string[]): Parsed<S> | 'help' {
  const options = nodeOptions(withHelp(spec));
  let result: { values: Record<string, unknown>; positionals: string[] };
  try {
    result = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (!String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) throw error;
    throw new UsageError(explainRefusal(args, options));
  }
  const { values, positionals } = result;
  if (values.help === true) return 'help';
  for (const [name, option] of Object.entries(spec.options)) {
    const value = values[name];
    if (option.choices && typeof value === 'string' && !option.choices.includes(value)) {
      throw new UsageError(
        `--${name} must be one of ${option.choices.join(', ')} (got '${value}')`,
      );
    }
  }
  const { operand } = spec;
  const [first, second] = positionals;
  if (operand && first === undefined) {
    throw new UsageError(`missing ${operand.name}: ${operand.description}`);
  }
  const extra = operand ? second : first;
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  // The declaration made the values' shape; parseArgs's own types cannot carry it this far.
  return { values, operand: first } as unknown as Parsed<S>;
}

/**
 * node:util words its refusals over several lines and names the option only in prose: the same
 * arguments read again as tokens (without refusing) find the option at fault, for one line.
 */
function explainRefusal(args: string[], options: NonNullable<ParseArgsConfig['options']>): string {
  const { tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = options[token.name];
    if (known === undefined) return `unknown option ${token.rawName}`;
    if (known.type === 'boolean' && token.value !== undefined) {
      return `${token.rawName} takes no value`;
    }
    if (known.type === 'string' && token.value === undefined) {
      return `${token.rawName} needs a value`;
    }
    if (known.type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      return `${token.rawName} needs a value, not '${token.value}' (if that is the value, write ${token.rawName}=${token.value})`;
    }
  }
  return 'the arguments cannot be read';
}

/** A whole-number option's value, or a UsageError naming the option and the range. */
export function wholeNumber(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(
      `--${option} must be a whole number from ${min} to ${max} (got '${text}')`,
    );
  }
  return Number(text);
}

function optionName(name: string, option: OptionSpec): string {
  const long = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

function optionHelp(option: OptionSpec): string {
  const choices = option.choices ? `: ${option.choices.join(', ')}` : '';
  const fallback = option.default === undefined ? '' : ` (default ${option.default})`;
  return `${option.description}${choices}${fallback}`;
}

/** `ecat NAME --help`: the usage line, what it does, its options and its exit codes. */
export function helpText(name: string, summary: string, spec: CommandSpec): string {
  const flags = Object.entries(spec.options).map(([option, { type, value }]) =>
    type === 'string' ? `[--${option} ${value ?? 'VALUE'}]` : `[--${option}]`,
  );
  const options = Object.entries(withHelp(spec)).map(
    ([option, declared]) => [optionName(option, declared), optionHelp(declared)] as const,
  );
  const width = Math.max(...options.map(([left]) => left.length));
  const exits = Object.entries({ ...spec.exits, 2: USAGE_EXIT }).sort(
    ([a], [b]) => Number(a) - Number(b),
  );
  return [
    `usage: ecat ${[name, spec.operand?.name, ...flags].filter(Boolean).join(' ')}`,
    '',
    `${summary[0]?.toUpperCase() ?? ''}${summary.slice(1)}.`,
    ...spec.about,
    ...(spec.operand ? ['', `${spec.operand.name}: ${spec.operand.description}`] : []),
    '',
    'options:',
    ...options.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
    'exit codes:',
    ...exits.map(([code, meaning]) => `  ${code}  ${meaning}`),
  ].join('\n');
}
