/**
 * Steps only an operator can do on a real Marketo instance (create a role, confirm one, create a custom service):
 * the lifecycle says exactly what to do, reminds, verifies the operator's answer, and gives up at the deadline.
 */
import { condition } from '@temporalio/workflow';
import type { CompleteOperatorStepInput } from '../../domain/lifecycle-messages';
import type { OperatorStep, PendingOperatorAction } from '../../domain/lifecycle-status';
import { operatorInstructions } from '../operator-instructions';
import { stepFailed } from './failures';
import type { Lifecycle } from './lifecycle';
import { publishVisibility } from './visibility';

/** Answers why a completion is not (yet) right, or undefined once it is verified. */
export type VerifyCompletion = (completion: CompleteOperatorStepInput) => Promise<string | undefined>;

function openStep(
  lc: Lifecycle,
  step: OperatorStep,
  firstInstructions: string[],
  existingRoleId: number | undefined,
): PendingOperatorAction {
  const since = Date.now();
  const deadline = since + lc.policy.operatorStepDeadlineMs;
  const instructions = [
    ...firstInstructions,
    ...operatorInstructions(step, lc.request, lc.workflowId, existingRoleId),
  ];
  const pending: PendingOperatorAction = {
    step,
    instructions,
    since: new Date(since).toISOString(),
    deadline: new Date(deadline).toISOString(),
  };
  lc.status.phase = 'awaiting-operator';
  publishVisibility(lc.status);
  lc.status.pendingOperatorAction = pending;
  lc.record('operator action needed', step);
  const message = `Operator action needed for ${lc.request.email}: ${step}`;
  void lc.notify(
    'operator-action-needed',
    message,
    { step, instructions, deadline: pending.deadline },
    deadline - since,
  );
  return pending;
}

function remind(lc: Lifecycle, step: OperatorStep, deadline: number): void {
  if (Date.now() >= deadline) return;
  lc.record('operator reminder', step);
  const message = `Still waiting for the operator: ${step} for ${lc.request.email}`;
  const details = { step, deadline: new Date(deadline).toISOString() };
  void lc.notify('operator-action-needed', message, details, deadline - Date.now());
}

/** Waits for the operator until `verify` accepts a completion; throws at the deadline or when access ended. */
export async function awaitOperatorStep(
  lc: Lifecycle,
  step: OperatorStep,
  verify: VerifyCompletion,
  firstInstructions: string[] = [],
  existingRoleId?: number,
): Promise<void> {
  const pending = openStep(lc, step, firstInstructions, existingRoleId);
  const deadline = Date.parse(pending.deadline);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw stepFailed(
        'OperatorStepTimedOut',
        `The operator step ${step} was not completed by ${pending.deadline}; what this run created is undone.`,
      );
    }
    const woken = await condition(
      () =>
        (lc.pendingCompletion !== undefined && lc.pendingCompletion.result === undefined) ||
        lc.revokeRequest !== undefined,
      Math.min(remaining, lc.policy.operatorReminderEveryMs),
    );
    lc.checkStillWanted();
    if (!woken) {
      remind(lc, step, deadline);
      continue;
    }
    const completion = lc.pendingCompletion!;
    const problem = await verify(completion.input);
    completion.result = problem === undefined ? { verified: true } : { verified: false, problem };
    lc.pendingCompletion = undefined;
    if (problem === undefined) break;
    pending.lastVerificationError = problem;
    lc.record('operator step not verified', problem);
  }
  lc.status.pendingOperatorAction = undefined;
  lc.status.phase = 'provisioning';
  publishVisibility(lc.status);
  lc.record('operator step verified', step);
  void lc.audit('operator-step-done', `operator-step/${step}`, { actor: 'operator', detail: { step } });
}

/** The operator creates the custom service; its credentials must verify, and the earlier lifecycle's must not serve. */
export async function createServiceByOperator(lc: Lifecycle): Promise<void> {
  const { request } = lc;
  const previousClientId = lc.adoptedPreviousUser ? lc.input.previous?.clientId : undefined;
  const replaceEarlier = lc.adoptedPreviousUser
    ? [
        `First delete the earlier lifecycle's custom service of ${request.email} in Admin > LaunchPoint` +
          (previousClientId ? ` (Client Id ${previousClientId})` : '') +
          ', then create a new one as below: the earlier one must not serve this lifecycle.',
      ]
    : [];
  const verify: VerifyCompletion = async (completion) => {
    if (completion.step !== 'create-service') return 'expected the custom service step';
    const { clientId, secretRef } = completion;
    if (previousClientId !== undefined && clientId === previousClientId) {
      return `client id ${previousClientId} is the earlier lifecycle's service: delete it in LaunchPoint and create a new one`;
    }
    const verification = await lc.activities.support.verifyServiceCredentials({
      secretRef,
      clientId,
      expectedScope: request.email,
    });
    if (!verification.ok) return verification.problem ?? 'the credentials did not verify';
    lc.status.clientId = clientId;
    lc.status.secretRef = secretRef;
    // From here the secret is this run's: access ending before activation must not leave it on disk.
    lc.pushUndo(`stored secret of custom service ${clientId}`, async () => {
      await lc.activities.supportMustFinish.deleteSecret(secretRef);
      return 'deleted (the service itself was made by the operator: delete it in Admin > LaunchPoint)';
    });
    return undefined;
  };
  await awaitOperatorStep(lc, 'create-service', verify, replaceEarlier);
}
