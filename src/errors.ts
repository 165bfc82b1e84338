/**
 * The product's own errors that reach a person or a pipeline. A leaf module with no imports of its own, so the
 * CLI's error reporter and the client API can name these classes without loading Temporal or the embedded stack.
 */
import type { OnboardDifference } from './onboard-conflict';

/**
 * A failure the product can explain: `problem` says what is wrong, `hint` what to do about it. The CLI prints
 * the two on lines of their own for any subclass, so a new problem needs no change to the reporter.
 */
export class ProblemError extends Error {
  override readonly name: string = 'ProblemError';
  constructor(
    readonly problem: string,
    readonly hint: string,
    message = `${problem} ${hint}`,
  ) {
    super(message);
  }
}

/**
 * The request cannot run as things stand (a setting missing, a process in the way): nothing was changed, and
 * the caller must change something first. The CLI exits 2 for it, as for bad input.
 */
export class PreconditionError extends ProblemError {
  override readonly name: string = 'PreconditionError';
}

/**
 * A rotation cannot start, or end early, as things stand (one is in its overlap, the access ends before the
 * overlap would, nothing to confirm): nothing was changed. The CLI exits 2 for it, as for any refusal.
 */
export class RotationRefusedError extends PreconditionError {
  override readonly name = 'RotationRefusedError';
}

/**
 * An attestation cannot be taken: no lifecycle of that email, or it is not active (ended, still provisioning).
 * Nothing was recorded; the CLI exits 2, as for any refusal.
 */
export class AttestationRefusedError extends PreconditionError {
  override readonly name = 'AttestationRefusedError';
}

/**
 * A new owner or ticket cannot be taken: no lifecycle of that email, it is ending or ended, or the owner would be
 * cleared while the policy asks the owner to attest. Nothing was changed; the CLI exits 2.
 */
export class ReassignRefusedError extends PreconditionError {
  override readonly name = 'ReassignRefusedError';
}

/** Bad input: nothing was created. `problems` are `field: problem` lines. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/** No lifecycle for that email on this Marketo instance. */
export class LifecycleNotFoundError extends Error {
  override readonly name = 'LifecycleNotFoundError';
}

/** Temporal does not answer; the message says what to start or set, `hint` that part alone. */
export class TemporalUnavailableError extends ProblemError {
  override readonly name = 'TemporalUnavailableError';
}

/** The workflow refused an Update (for example an extension past the maximum lifetime). */
export class LifecycleRefusedError extends Error {
  override readonly name = 'LifecycleRefusedError';
}

const CONFLICT_HINT =
  'to move the expiry use `extend`; to change the owner or ticket, `reassign`; to change anything else, `revoke` the lifecycle and onboard again';

function conflictProblems(differences: OnboardDifference[]): string[] {
  return differences.map(
    (d) => `${d.field}: the running lifecycle has ${d.running}, this request asks for ${d.requested}`,
  );
}

/**
 * An onboarding found the email's lifecycle running with other settings (names, role, expiry...): nothing
 * was changed. `differences` names each field; `problems` says each as a line; `hint` says what to do.
 */
export class LifecycleConflictError extends ProblemError {
  override readonly name = 'LifecycleConflictError';
  readonly problems: string[];
  constructor(
    readonly email: string,
    readonly differences: OnboardDifference[],
  ) {
    const problem = `a lifecycle of ${email} already runs with other settings; nothing was changed`;
    const problems = conflictProblems(differences);
    super(problem, CONFLICT_HINT, `${problem}: ${problems.join('; ')}. Hint: ${CONFLICT_HINT}`);
    this.problems = problems;
  }
}

/**
 * `credentials` asked of a lifecycle that holds none: revoked, expired, failed, or not active yet. `phase` is
 * the lifecycle's; the problem says what happened, never a secret.
 */
export class CredentialsUnavailableError extends ProblemError {
  override readonly name = 'CredentialsUnavailableError';
  constructor(
    readonly email: string,
    readonly phase: string,
    problem: string,
    hint: string,
  ) {
    super(problem, hint);
  }
}

/** A verb on the sweep's schedule (pause, resume, trigger, describe) found no schedule to act on. */
export class SweepScheduleNotFoundError extends ProblemError {
  override readonly name = 'SweepScheduleNotFoundError';
  constructor(readonly scheduleId: string) {
    super(
      `there is no sweep schedule (${scheduleId}) on this namespace; nothing was changed`,
      'create it first with `schedule-sweep --every 1h` (or `--at 00:05 --timezone America/Chicago`)',
    );
  }
}

/** A search attribute the product needs is registered on the namespace with another type: nothing was changed. */
export class SearchAttributeConflictError extends ProblemError {
  override readonly name = 'SearchAttributeConflictError';
}

/**
 * The desired-state file has mistakes: `problems` are `file:line:column field: problem` lines, every one found,
 * and nothing was changed. The CLI exits 2, as for any bad input.
 */
export class DesiredStateFileError extends ProblemError {
  override readonly name = 'DesiredStateFileError';
  constructor(readonly problems: string[]) {
    super(
      `${problems.length} ${problems.length === 1 ? 'problem' : 'problems'} in the desired-state file; nothing was changed`,
      'fix each line named above, then run `plan -f FILE` again',
      problems.join('; '),
    );
  }
}

/** Another apply holds this instance: two applies never interleave. Nothing was changed; run again later. */
export class ApplyInProgressError extends PreconditionError {
  override readonly name = 'ApplyInProgressError';
}

/** A saved plan no longer matches the world (or the file): nothing was changed. */
export class StalePlanError extends PreconditionError {
  override readonly name = 'StalePlanError';
}

/** The plan refuses entries, or revokes more users than allowed: nothing was changed. */
export class ApplyRefusedError extends PreconditionError {
  override readonly name = 'ApplyRefusedError';
}
