/**
 * Rotating the custom service's secret without downtime. Marketo cannot regenerate a secret, but a user may own
 * several services: a second one is staged (by software on the sandbox, by an operator on a real instance), both
 * work during the overlap, then the old one is deleted and proven dead (its client id refused a token) before its
 * stored secret goes. A rotation never fails the lifecycle: a half-made one is undone and the working service kept.
 * The active loop drives it one step at a time, so a revoke, an expiry or an extension is never held up for long.
 */
import { condition } from '@temporalio/workflow';
import type { AdminCapabilities } from '../../activities/types';
import type { ConfirmSwitchInput, RotateInput } from '../../domain/lifecycle-messages';
import type {
  DeactivationCause,
  LifecycleStatus,
  PendingOperatorAction,
  Rotation,
} from '../../domain/lifecycle-status';
import { rotatedServiceDisplayName, serviceDescription } from '../../domain/lifecycle-request';
import { formatDuration } from '../../domain/durations';
import { rotatedSecretRef } from '../../domain/secret-refs';
import { retireServiceInstructions, rotationServiceInstructions } from '../operator-instructions';
import type { Lifecycle, OperatorCompletion } from './lifecycle';

/** After a failed proof the old service is deleted and proven again, backing off to once an hour. */
const PROOF_RETRY_FIRST_MS = 60_000;
const PROOF_RETRY_MAX_MS = 60 * 60_000;

// ---- the messages ----------------------------------------------------------------------------------------

/** Why a rotation cannot start now, in words for the caller; undefined when it can. */
export function rotateRefusal(lc: Lifecycle, overlapMs: number): string | undefined {
  const { status } = lc;
  if (status.phase !== 'active' || lc.deactivating || lc.revokeRequest || !status.clientId) {
    return `Only an active lifecycle can rotate its secret; this one is ${status.phase}.`;
  }
  const current = status.rotation;
  if (current) {
    const ends = current.overlapEndsAt
      ? `its overlap ends at ${current.overlapEndsAt}`
      : 'its new service is still being staged';
    return `Rotation ${current.number} is in progress (${current.stage}): ${ends}. Try again after it, or confirm the switch to end it sooner.`;
  }
  const overlapEnd = Date.now() + overlapMs;
  if (overlapEnd >= Date.parse(status.expiresAt)) {
    return `The access expires at ${status.expiresAt}, before an overlap of ${formatDuration(overlapMs)} would end: extend it first, or choose a shorter overlap.`;
  }
  return undefined;
}

/** Starts rotation `number`: the working service becomes the one to retire once a second one works. */
export function startRotation(lc: Lifecycle, input: RotateInput, by: string): Rotation {
  const { status } = lc;
  const number = (status.rotations ?? 0) + 1;
  status.rotations = number;
  const rotation: Rotation = {
    number,
    stage: 'staging',
    requestedAt: new Date().toISOString(),
    requestedBy: input.actor ?? by,
    ...(input.reason ? { reason: input.reason } : {}),
    overlapMs: input.overlapMs,
    retiring: { clientId: status.clientId!, secretRef: status.secretRef! },
    failedProofs: 0,
  };
  status.rotation = rotation;
  const every = lc.policy.rotateEveryMs;
  if (every !== undefined) status.nextRotationAt = new Date(Date.now() + every).toISOString();
  lc.record('rotation requested', `rotation ${number}, overlap ${formatDuration(input.overlapMs)}`);
  return rotation;
}

/** The update's answer: once both services work, the operator is asked, or the rotation ended otherwise. */
export async function rotate(lc: Lifecycle, input: RotateInput): Promise<LifecycleStatus> {
  const { number } = startRotation(lc, input, 'lifecycle');
  await condition(
    () =>
      lc.ended ||
      lc.status.rotation?.number !== number ||
      lc.status.rotation.stage !== 'staging' ||
      lc.status.pendingOperatorAction !== undefined,
  );
  return lc.status;
}

export function confirmSwitchRefusal(lc: Lifecycle): string | undefined {
  const rotation = lc.status.rotation;
  if (!rotation || lc.ended) return 'No rotation is in its overlap: there is nothing to confirm.';
  if (rotation.stage === 'staging') return `Rotation ${rotation.number}'s new service is not ready yet.`;
  if (rotation.stage === 'retiring' || rotation.switchConfirmedAt) {
    return `Rotation ${rotation.number} is retiring the old service already.`;
  }
  return undefined;
}

/** The consumer switched early: the old service is retired now; answers once it is dead or someone must act. */
export async function confirmSwitch(lc: Lifecycle, input: ConfirmSwitchInput): Promise<LifecycleStatus> {
  const rotation = lc.status.rotation!;
  rotation.switchConfirmedAt = new Date().toISOString();
  lc.record('switch confirmed', `rotation ${rotation.number} by ${input.actor ?? 'lifecycle'}`);
  const { number, failedProofs } = rotation;
  await condition(
    () =>
      lc.ended ||
      lc.status.rotation?.number !== number ||
      lc.status.rotation.failedProofs !== failedProofs ||
      lc.status.pendingOperatorAction?.step === 'retire-service',
  );
  return lc.status;
}

// ---- the active loop's part ------------------------------------------------------------------------------

function completionWaiting(lc: Lifecycle): OperatorCompletion | undefined {
  const completion = lc.pendingCompletion;
  return completion && !completion.result ? completion : undefined;
}

/** Work the rotation can do now, without waiting for any time. */
export function rotationReady(lc: Lifecycle): boolean {
  if (completionWaiting(lc)) return true;
  const rotation = lc.status.rotation;
  if (!rotation || lc.status.pendingOperatorAction) return false;
  if (rotation.stage === 'overlap') return rotation.switchConfirmedAt !== undefined;
  return rotation.retryAt === undefined;
}

/** When the rotation next needs the loop for a time: the overlap's end, a retry, a reminder, a schedule. */
export function rotationWakeAt(lc: Lifecycle): number | undefined {
  const { rotation, pendingOperatorAction: pending, nextRotationAt } = lc.status;
  if (!rotation) return nextRotationAt ? Date.parse(nextRotationAt) : undefined;
  if (pending)
    return Math.min(Date.parse(pending.remindAt ?? pending.deadline), Date.parse(pending.deadline));
  if (rotation.stage === 'overlap' && rotation.overlapEndsAt) return Date.parse(rotation.overlapEndsAt);
  return rotation.retryAt ? Date.parse(rotation.retryAt) : undefined;
}

/** Does the one rotation step that is due, if any; true when it did something. */
export async function advanceRotation(lc: Lifecycle): Promise<boolean> {
  const wakeAt = rotationWakeAt(lc);
  if (!rotationReady(lc) && (wakeAt === undefined || Date.now() < wakeAt)) return false;
  const completion = completionWaiting(lc);
  const rotation = lc.status.rotation;
  if (completion) await answerCompletion(lc, completion);
  else if (!rotation) startScheduledRotation(lc);
  else if (lc.status.pendingOperatorAction)
    await remindOrGiveUp(lc, rotation, lc.status.pendingOperatorAction);
  else if (rotation.stage === 'staging') await stage(lc, rotation);
  else if (rotation.stage === 'overlap') beginRetiring(lc, rotation);
  else await retire(lc, rotation);
  return true;
}

/** `rotateEvery`: skipped when the access ends before the overlap would, as the old secret dies then anyway. */
function startScheduledRotation(lc: Lifecycle): void {
  const overlapMs = lc.policy.rotationOverlapMs;
  if (Date.now() + overlapMs >= Date.parse(lc.status.expiresAt)) {
    const every = lc.policy.rotateEveryMs!;
    lc.status.nextRotationAt = new Date(Date.now() + every).toISOString();
    lc.record(
      'scheduled rotation skipped',
      `access ends at ${lc.status.expiresAt}, before the overlap would`,
    );
    return;
  }
  startRotation(lc, { overlapMs }, 'schedule');
}

async function capabilities(lc: Lifecycle): Promise<AdminCapabilities> {
  lc.capabilities ??= await lc.activities.support.getAdminCapabilities();
  return lc.capabilities;
}

/** Makes the second service (or asks the operator for it) and checks that its credentials get a token. */
async function stage(lc: Lifecycle, rotation: Rotation): Promise<void> {
  if (!(await capabilities(lc)).canCreateServices) {
    const instructions = rotationServiceInstructions(lc.request, lc.workflowId, rotation);
    openRotationStep(lc, 'create-service', instructions);
    return;
  }
  const { support } = lc.activities;
  const secretRef = rotatedSecretRef(lc.workflowId, rotation.number);
  try {
    const idempotencyKey = `${lc.runId}/${await support.newIdempotencyKey()}`;
    const { clientId } = await support.createCustomService({
      displayName: rotatedServiceDisplayName(lc.request, rotation.number),
      description: serviceDescription(lc.request),
      ownerEmail: lc.request.email,
      secretRef,
      idempotencyKey,
    });
    rotation.staged = { clientId, secretRef };
    lc.record('rotation service created', clientId);
    const verification = await support.verifyServiceCredentials({
      secretRef,
      clientId,
      expectedScope: lc.request.email,
    });
    if (!verification.ok) throw new Error(verification.problem ?? 'its credentials did not verify');
  } catch (error) {
    await abandon(lc, rotation, `the new service could not be made: ${messageOf(error)}`);
    return;
  }
  beginOverlap(lc, rotation);
}

/** From here the new service is the one `credentials` hands over; the old one works until the overlap ends. */
function beginOverlap(lc: Lifecycle, rotation: Rotation): void {
  const { status } = lc;
  const fresh = rotation.staged!;
  status.clientId = fresh.clientId;
  status.secretRef = fresh.secretRef;
  rotation.staged = undefined;
  rotation.stage = 'overlap';
  rotation.overlapEndsAt = new Date(Date.now() + rotation.overlapMs).toISOString();
  const detail = `new ${fresh.clientId}; old ${rotation.retiring.clientId} works until ${rotation.overlapEndsAt}`;
  lc.record('rotated', detail);
  void lc.audit('rotated', `rotation/${rotation.number}/staged`, {
    actor: rotation.requestedBy,
    reason: rotation.reason,
    detail: {
      rotation: rotation.number,
      clientId: fresh.clientId,
      oldClientId: rotation.retiring.clientId,
      oldEndsAt: rotation.overlapEndsAt,
    },
  });
  void lc.notify('credentials-rotated', `New credentials for ${lc.request.email}; ${detail}`, {
    rotation: rotation.number,
    clientId: fresh.clientId,
    oldClientId: rotation.retiring.clientId,
    oldEndsAt: rotation.overlapEndsAt,
  });
}

function beginRetiring(lc: Lifecycle, rotation: Rotation): void {
  rotation.stage = 'retiring';
  const why = rotation.switchConfirmedAt ? 'the switch was confirmed' : 'the overlap ended';
  lc.record('retiring the old service', `${rotation.retiring.clientId}: ${why}`);
}

/** Deletes the old service (or asks the operator to), then proves it dead. */
async function retire(lc: Lifecycle, rotation: Rotation): Promise<void> {
  rotation.retryAt = undefined;
  if (!(await capabilities(lc)).canCreateServices) {
    const instructions = retireServiceInstructions(lc.request, lc.workflowId, rotation, lc.status.clientId!);
    openRotationStep(lc, 'retire-service', instructions);
    return;
  }
  const outcome = await lc.activities.supportMustFinish.deleteCustomService(rotation.retiring.clientId);
  lc.record('old service deleted', `${rotation.retiring.clientId}: ${outcome}`);
  await proveDead(lc, rotation);
}

/**
 * The old client id must be refused a token before its secret is deleted (the proof needs it) and the rotation
 * recorded as done. Answers the problem when it is not dead yet.
 */
async function proveDead(lc: Lifecycle, rotation: Rotation): Promise<string | undefined> {
  const proof = await lc.activities.supportMustFinish.proveCredentialsDead(rotation.retiring);
  if (proof.dead) {
    await lc.activities.supportMustFinish.deleteSecret(rotation.retiring.secretRef);
    finishRotation(lc, rotation);
    return undefined;
  }
  const problem = proof.problem ?? `client id ${rotation.retiring.clientId} still gets a token`;
  rotation.failedProofs += 1;
  lc.record('old credentials still work', problem);
  const pending = lc.status.pendingOperatorAction;
  if (!pending) {
    const delay = Math.min(PROOF_RETRY_MAX_MS, PROOF_RETRY_FIRST_MS * 2 ** (rotation.failedProofs - 1));
    rotation.retryAt = new Date(Date.now() + delay).toISOString();
  }
  void lc.notify(
    'rotation-needs-attention',
    `The old credentials of ${lc.request.email} still work after their retirement: ${problem}`,
    {
      rotation: rotation.number,
      oldClientId: rotation.retiring.clientId,
      failedProofs: rotation.failedProofs,
    },
  );
  return problem;
}

function finishRotation(lc: Lifecycle, rotation: Rotation): void {
  const at = new Date().toISOString();
  const { clientId } = rotation.retiring;
  lc.status.rotation = undefined;
  lc.status.pendingOperatorAction = undefined;
  lc.status.lastRotation = {
    number: rotation.number,
    outcome: 'completed',
    at,
    detail: `old client id ${clientId} refused a token at ${at}`,
    retiredClientId: clientId,
    oldDeadAt: at,
  };
  lc.record('old credentials dead', `${clientId}: refused a token`);
  void lc.audit('rotation-retired', `rotation/${rotation.number}/retired`, {
    detail: {
      rotation: rotation.number,
      oldClientId: clientId,
      provenDeadAt: at,
      clientId: lc.status.clientId!,
    },
  });
}

/** Undoes a half-made rotation: the staged service and its secret go, the working one is untouched. */
async function abandon(lc: Lifecycle, rotation: Rotation, why: string): Promise<void> {
  const { supportMustFinish } = lc.activities;
  const staged = rotation.staged;
  let undone = 'nothing was made';
  if (staged && staged.clientId !== lc.status.clientId) {
    undone = `service ${staged.clientId}: ${await supportMustFinish.deleteCustomService(staged.clientId)}`;
    await supportMustFinish.deleteSecret(staged.secretRef);
  }
  lc.status.rotation = undefined;
  lc.status.pendingOperatorAction = undefined;
  lc.status.lastRotation = {
    number: rotation.number,
    outcome: 'abandoned',
    at: new Date().toISOString(),
    detail: `${why}; undone: ${undone}`,
  };
  lc.record('rotation abandoned', `${why}; undone: ${undone}`);
  void lc.audit('rotation-abandoned', `rotation/${rotation.number}/abandoned`, {
    reason: why.slice(0, 500),
    detail: { rotation: rotation.number, undone, clientId: lc.status.clientId ?? null },
  });
  void lc.notify('rotation-needs-attention', `The rotation of ${lc.request.email} was abandoned: ${why}`, {
    rotation: rotation.number,
    undone,
  });
}

/** Access ends during a rotation: the service that is not the current one goes, and both secrets with them. */
export async function endRotation(lc: Lifecycle, cause: DeactivationCause): Promise<void> {
  const rotation = lc.status.rotation;
  if (!rotation) return;
  const { supportMustFinish } = lc.activities;
  const extra = rotation.stage === 'staging' ? rotation.staged : rotation.retiring;
  let undone = 'no second service';
  if (extra && extra.clientId !== lc.status.clientId) {
    const outcome = (await capabilities(lc)).canCreateServices
      ? await supportMustFinish.deleteCustomService(extra.clientId)
      : `locked with its user; delete it in Admin > LaunchPoint`;
    await supportMustFinish.deleteSecret(extra.secretRef);
    undone = `service ${extra.clientId}: ${outcome}`;
  }
  lc.status.rotation = undefined;
  lc.status.pendingOperatorAction = undefined;
  const detail = `access ${cause} during the rotation; ${undone}`;
  lc.status.lastRotation = {
    number: rotation.number,
    outcome: 'abandoned',
    at: new Date().toISOString(),
    detail,
  };
  lc.record('rotation ended', detail);
}

// ---- operator steps of a rotation ------------------------------------------------------------------------

function openRotationStep(
  lc: Lifecycle,
  step: 'create-service' | 'retire-service',
  instructions: string[],
): void {
  const since = Date.now();
  const deadline = since + lc.policy.operatorStepDeadlineMs;
  const pending: PendingOperatorAction = {
    step,
    instructions,
    since: new Date(since).toISOString(),
    deadline: new Date(deadline).toISOString(),
    remindAt: new Date(since + lc.policy.operatorReminderEveryMs).toISOString(),
  };
  lc.status.pendingOperatorAction = pending;
  lc.record('operator action needed', `${step} (rotation)`);
  void lc.notify(
    'operator-action-needed',
    `Operator action needed for ${lc.request.email}: ${step} (rotation)`,
    { step, instructions, deadline: pending.deadline },
    Math.max(deadline - since, lc.policy.operatorReminderEveryMs),
  );
}

/**
 * A staged service the operator never made is abandoned at the deadline. An old service the operator never
 * deleted cannot be given up on: it still works, so the lifecycle keeps asking, louder.
 */
async function remindOrGiveUp(
  lc: Lifecycle,
  rotation: Rotation,
  pending: PendingOperatorAction,
): Promise<void> {
  const overdue = Date.now() >= Date.parse(pending.deadline);
  if (overdue && pending.step === 'create-service') {
    await abandon(
      lc,
      rotation,
      `the operator did not create the new service by ${pending.deadline} (one made later is not used: delete it in Admin > LaunchPoint)`,
    );
    return;
  }
  pending.remindAt = new Date(Date.now() + lc.policy.operatorReminderEveryMs).toISOString();
  if (overdue) pending.deadline = pending.remindAt;
  const kind = overdue ? 'rotation-needs-attention' : 'operator-action-needed';
  const late = overdue ? 'OVERDUE: the old credentials still work. ' : '';
  lc.record('operator reminder', `${pending.step} (rotation)${overdue ? ', overdue' : ''}`);
  void lc.notify(kind, `${late}Still waiting for the operator: ${pending.step} for ${lc.request.email}`, {
    step: pending.step,
    rotation: rotation.number,
  });
}

async function answerCompletion(lc: Lifecycle, completion: OperatorCompletion): Promise<void> {
  const rotation = lc.status.rotation;
  const pending = lc.status.pendingOperatorAction;
  const problem =
    !rotation || !pending
      ? 'no rotation step is pending'
      : await verifyCompletion(lc, rotation, completion.input);
  completion.result = problem === undefined ? { verified: true } : { verified: false, problem };
  lc.pendingCompletion = undefined;
  if (problem === undefined) return;
  if (pending) pending.lastVerificationError = problem;
  lc.record('operator step not verified', problem);
}

async function verifyCompletion(
  lc: Lifecycle,
  rotation: Rotation,
  input: OperatorCompletion['input'],
): Promise<string | undefined> {
  if (input.step === 'retire-service') {
    const problem = await proveDead(lc, rotation);
    return problem === undefined
      ? undefined
      : `${problem}: delete it in Admin > LaunchPoint, then complete again`;
  }
  if (input.step !== 'create-service') return 'expected the custom service step';
  const { clientId, secretRef } = input;
  if (clientId === rotation.retiring.clientId) {
    return `client id ${clientId} is the service being retired: create a second service for the same user`;
  }
  const verification = await lc.activities.support.verifyServiceCredentials({
    secretRef,
    clientId,
    expectedScope: lc.request.email,
  });
  if (!verification.ok) return verification.problem ?? 'the credentials did not verify';
  rotation.staged = { clientId, secretRef };
  lc.status.pendingOperatorAction = undefined;
  lc.record('operator step verified', 'create-service (rotation)');
  void lc.audit('operator-step-done', `rotation/${rotation.number}/create-service`, {
    actor: 'operator',
    detail: { step: 'create-service', rotation: rotation.number },
  });
  beginOverlap(lc, rotation);
  return undefined;
}

function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}
