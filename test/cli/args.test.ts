/**
 * The CLI's argument parser on its own: what it refuses and how it names the problem, whatever the values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_OPTIONS, parseCommandArgs } from '../../src/cli/args';
import { UsageError } from '../../src/cli/errors';

const OPTIONS = { ...COMMON_OPTIONS, step: { type: 'string' }, reason: { type: 'string' } } as const;

function problemsOf(argv: string[]): string[] {
  try {
    parseCommandArgs(argv, OPTIONS, ['email']);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.problems;
  }
  return assert.fail(`accepted: ${argv.join(' ')}`);
}

describe('parseCommandArgs', () => {
  it('names an unknown flag, whatever its stray value looks like (a secret may start with a dash)', () => {
    // A base64url secret after an unknown flag: read loosely, "-hXh…" would be a group of short flags.
    for (const value of ['-hAhB9', '-h', '--help', 'plain']) {
      assert.deepEqual(problemsOf(['a@example.com', '--secret', value]), [
        `arguments: Unknown option '--secret'`,
      ]);
    }
  });

  it('still refuses a repeated flag and a flag given as a value', () => {
    assert.deepEqual(problemsOf(['a@example.com', '--step', 'x', '--step', 'y']), [
      'step: given more than once (give it once)',
    ]);
    assert.match(problemsOf(['a@example.com', '--reason', '--help']).join('\n'), /^reason: missing value/);
  });
});
