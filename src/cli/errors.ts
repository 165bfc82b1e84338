import {
  DesiredStateFileError,
  InputError,
  LifecycleConflictError,
  LifecycleNotFoundError,
  LifecycleRefusedError,
  PreconditionError,
  ProblemError,
} from '../errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
/** The request contradicts what runs (an onboarding of a running email with other settings): not bad input. */
export const EXIT_CONFLICT = 3;
/** `plan`: the file and the lifecycles differ, and an apply would change something (0: nothing would). */
export const EXIT_CHANGES_PENDING = 4;
/** Stopped by a signal (the shell's 128 + SIGINT's 2). */
export const EXIT_INTERRUPTED = 130;

/** A usage problem found by the CLI itself (a missing or unknown flag): exit 2, like bad input. */
export class UsageError extends InputError {}

/** `--help` or `-h` given as a flag of its own: the command's help is printed, exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

/** Schema paths as the flags a person typed. */
const FLAG_NAMES: Record<string, string> = {
  firstName: 'first-name',
  lastName: 'last-name',
  'role.name': 'role',
  'role.permissions': 'permissions',
  'role.workspace': 'workspace',
  expiresAt: 'expires-at',
  expiresIn: 'expires-in',
  'service.displayName': 'service-name',
  'service.description': 'service-description',
  clientId: 'client-id',
  clientSecret: 'secret',
  kinds: 'kind',
  'policy.reminderLeadsMs': 'remind',
  'policy.attestEveryMs': 'attest-every',
  'policy.attestationWindowMs': 'attestation-window',
};

export function asFlagProblem(problem: string): string {
  const colon = problem.indexOf(': ');
  if (colon < 0) return problem;
  const field = problem.slice(0, colon).replace(/\.\d+$/, '');
  return `${FLAG_NAMES[field] ?? field}: ${problem.slice(colon + 2)}`;
}

export interface Reported {
  exitCode: number;
  lines: string[];
  json: { error: string; problems?: string[]; hint?: string };
}

/** One clear line, then a hint of what to do; bad input lists each problem as `field: problem`. */
export function report(error: unknown): Reported {
  if (error instanceof InputError) {
    const problems = error.problems.map(asFlagProblem);
    return {
      exitCode: EXIT_BAD_INPUT,
      lines: [
        'error: bad input, nothing was changed',
        ...problems,
        'hint: run the command with --help for its flags',
      ],
      json: { error: 'bad input', problems },
    };
  }
  if (error instanceof LifecycleConflictError) {
    const problems = error.problems.map(asFlagProblem);
    return {
      exitCode: EXIT_CONFLICT,
      lines: [`error: conflict: ${error.problem}`, ...problems, `hint: ${error.hint}`],
      json: { error: 'conflict', problems, hint: error.hint },
    };
  }
  if (error instanceof LifecycleRefusedError) {
    // The workflow's validators speak schema (`expiresAt: ...`); a person typed flags (`expires-at`).
    if (/^[\w.-]+: /.test(error.message)) {
      const problems = error.message.split('; ').map(asFlagProblem);
      const hint = 'choose a value within the rules above';
      return {
        exitCode: EXIT_BAD_INPUT,
        lines: ['error: bad input, nothing was changed', ...problems, `hint: ${hint}`],
        json: { error: 'bad input', problems, hint },
      };
    }
    const hint = 'check the lifecycle with `status EMAIL`';
    return {
      exitCode: EXIT_FAILURE,
      lines: [`error: refused: ${error.message}`, `hint: ${hint}`],
      json: { error: `refused: ${error.message}`, hint },
    };
  }
  if (error instanceof LifecycleNotFoundError) {
    const hint = 'check the email, or start one with `onboard`; `list` shows every lifecycle';
    return {
      exitCode: EXIT_FAILURE,
      lines: [`error: ${error.message}`, `hint: ${hint}`],
      json: { error: error.message, hint },
    };
  }
  if (error instanceof DesiredStateFileError) {
    return {
      exitCode: EXIT_BAD_INPUT,
      lines: [`error: ${error.problem}`, ...error.problems, `hint: ${error.hint}`],
      json: { error: error.problem, problems: error.problems, hint: error.hint },
    };
  }
  if (error instanceof PreconditionError) {
    return {
      exitCode: EXIT_BAD_INPUT,
      lines: [`error: ${error.problem}`, `hint: ${error.hint}`],
      json: { error: error.problem, hint: error.hint },
    };
  }
  if (error instanceof ProblemError) {
    // What is wrong, then what to do about it: each on its own line.
    return {
      exitCode: EXIT_FAILURE,
      lines: [`error: ${error.problem}`, `hint: ${error.hint}`],
      json: { error: error.problem, hint: error.hint },
    };
  }
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const hint = 'run again; if it persists, check the worker and Temporal logs';
  return {
    exitCode: EXIT_FAILURE,
    lines: [`error: ${message}`, `hint: ${hint}`],
    json: { error: message, hint },
  };
}
