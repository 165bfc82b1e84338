import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** node:util's parseArgs, with its errors turned into usage errors (exit 2) that name the flag. */
type ParsedArgs<O extends OptionSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>
>;

export function parseCommandArgs<O extends OptionSpec>(
  argv: string[],
  options: O,
  positionals: string[] = [],
): ParsedArgs<O> {
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: positionals.length > 0, strict: true });
    if (parsed.positionals.length > positionals.length) {
      // Never the value itself: a stray argument may be a secret typed where a flag was meant.
      const expected = positionals.length ? `only ${positionals.join(' ')}` : 'none';
      throw new UsageError([
        `arguments: unexpected argument at position ${positionals.length + 1} (this command takes ${expected}; its value is not shown)`,
      ]);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError([`arguments: ${message.replace(/\. To specify a positional.*$/s, '')}`]);
  }
}

export function requirePositional(value: string | undefined, name: string): string {
  if (!value) throw new UsageError([`${name}: required`]);
  return value;
}
