import os from 'node:os';
import type { OptionSpec } from './args';

/** `--actor NAME`: who the audit log records for a command that changes or reads access. */
export const ACTOR_OPTION = { actor: { type: 'string' } } as const satisfies OptionSpec;

/** The person behind a command: `--actor`, else the OS user (a pipeline passes its own name). */
export function actorOf(given: string | undefined): string {
  if (given !== undefined) return given;
  try {
    return os.userInfo().username || 'cli';
  } catch {
    return 'cli'; // no passwd entry for this uid (some containers)
  }
}
