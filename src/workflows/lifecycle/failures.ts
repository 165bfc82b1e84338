// The lifecycle's own failures: how a refusal, an early end and a failed step are told apart and reported.
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { ROLE_REFUSED } from '../../domain/role-choice';

/** Provisioning stopped because access ended first: revoked, or the expiry passed while it was under way. */
export class EndedBeforeActive extends Error {
  constructor(readonly endedBy: 'revoked' | 'expired') {
    super(`access ${endedBy} before the lifecycle was active`);
  }
}

/** An activity's failure arrives wrapped in ActivityFailure; the reason worth reporting is its cause. */
export function rootCause(error: unknown): { type: string; message: string } {
  const root = error instanceof ActivityFailure && error.cause ? error.cause : error;
  if (isCancellation(error)) return { type: 'Cancelled', message: 'The lifecycle was cancelled.' };
  if (root instanceof ApplicationFailure) return { type: root.type ?? 'Error', message: root.message };
  return { type: 'StepFailed', message: root instanceof Error ? root.message : String(root) };
}

export function invalidInput(problems: string[]): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'InvalidInput',
    message: `The request was refused before anything was created: ${problems.join('; ')}`,
    nonRetryable: true,
  });
}

/** An existing role that must not be given: refused before anything is created, so nothing is undone. */
export function roleRefused(problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ROLE_REFUSED,
    message: `The request was refused before anything was created: ${problem}`,
    nonRetryable: true,
  });
}

/** A step that cannot go on; nothing retries it, and what the run made is undone. */
export function stepFailed(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
