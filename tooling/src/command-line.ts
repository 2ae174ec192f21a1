/**
 * One way every command reads its arguments: `--help`/`-h` prints the usage and exits 0; an unknown option,
 * a missing value or a bad positional prints what was wrong and the usage on stderr and exits 2 (never a
 * stack trace).
 *
 * @example
 * const { values, positionals } = commandLine(usage, { tag: { type: 'string' } }, { positionals: true });
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; short: 'h' } };

export interface CommandLineSettings {
  /** Accept positional arguments (default: none). */
  positionals?: boolean;
  /** The arguments; process.argv.slice(2) by default. */
  args?: string[];
}

/** Prints the problem and the usage on stderr, exits 2 (EX_USAGE-like, as Node's own CLI parsers do). */
export function usageError(usage: string, problem: string): never {
  console.error(`${problem}\n\n${usage}`);
  process.exit(2);
}

export function commandLine<const O extends Options>(usage: string, options: O, settings: CommandLineSettings = {}) {
  const config = {
    args: settings.args ?? process.argv.slice(2),
    options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O>,
    allowPositionals: settings.positionals ?? false,
    strict: true as const,
  };
  // --help wins over everything else on the line (before a `--`), even an unknown option.
  const end = config.args.indexOf('--');
  const flags = end === -1 ? config.args : config.args.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (error) {
    // Node's advice about `--` after an unknown option is noise here: every command's options are listed.
    return usageError(usage, (error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ''));
  }
}
