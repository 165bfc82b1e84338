import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HelpRequested, UsageError } from './errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

type ParsedArgs<O extends OptionSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>
>;

type Token = NonNullable<ReturnType<typeof parseArgs<{ tokens: true; strict: false }>>['tokens']>[number];

/**
 * Problems node's parser lets through or words poorly: a flag given twice (the last value would silently
 * win), and a string flag whose value is another flag (`--reason --help`: the value is missing, and the
 * `--help` must not turn into a help request). Values are never shown: one may be a secret typed in the
 * wrong place.
 */
function flagProblems(tokens: Token[], options: OptionSpec): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) continue;
    if (seen.has(token.name) && !spec.multiple) {
      problems.push(`${token.name}: given more than once (give it once)`);
    }
    seen.add(token.name);
    const value = token.value;
    if (spec.type !== 'string' || value === undefined) continue;
    // A lone `-` is a value (stdin); `--by=-1d` is a value for its own check to judge.
    const flagAsValue = token.inlineValue
      ? value.startsWith('--')
      : value.length > 1 && value.startsWith('-');
    if (flagAsValue) {
      problems.push(
        `${token.name}: missing value (the next argument is a flag, and a value may not start with --; ` +
          `give a value that starts with a single dash as --${token.name}=VALUE)`,
      );
    }
  }
  return [...new Set(problems)];
}

/**
 * node:util's parseArgs, with its errors turned into usage errors (exit 2) that name the flag. `--help` (or
 * `-h`) as a flag of its own, and not as another flag's value, throws HelpRequested.
 */
export function parseCommandArgs<O extends OptionSpec>(
  argv: string[],
  options: O,
  positionals: string[] = [],
): ParsedArgs<O> {
  const allowPositionals = positionals.length > 0;
  // Positionals allowed here whatever the command takes: the strict parse below judges them and unknown flags.
  const loose = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  // After an unknown flag the loose reading of what follows means nothing (a stray secret "-hXh…" reads as short
  // flags): the strict parse names the unknown flag instead.
  const unknownFlag = loose.tokens.some((t) => t.kind === 'option' && !options[t.name]);
  const problems = unknownFlag ? [] : flagProblems(loose.tokens, options);
  if (problems.length) throw new UsageError(problems);
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError([`arguments: ${message.replace(/\. To specify a positional.*$/s, '')}`]);
  }
  if ((parsed.values as Record<string, unknown>)['help'] === true) throw new HelpRequested();
  if (parsed.positionals.length > positionals.length) {
    // Never the value itself: a stray argument may be a secret typed where a flag was meant.
    const expected = positionals.length ? `only ${positionals.join(' ')}` : 'none';
    throw new UsageError([
      `arguments: unexpected argument at position ${positionals.length + 1} (this command takes ${expected}; its value is not shown)`,
    ]);
  }
  return parsed;
}

export function requirePositional(value: string | undefined, name: string): string {
  if (!value) throw new UsageError([`${name}: required`]);
  return value;
}
