/**
 * One durable workflow per API-only user: role → user → custom service → active until expiry → deactivated.
 * This function only wires: the input, the message handlers, the chain of steps and how the run ends.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  attestInputSchema,
  confirmSwitchInputSchema,
  reassignInputSchema,
  rotateInputSchema,
  type AttestInput,
  type CompleteOperatorStepInput,
  type ConfirmSwitchInput,
  type ExtendInput,
  type ReassignInput,
  type RevokeInput,
  type RotateInput,
} from '../../domain/lifecycle-messages';
import { attestationProblems, expiryProblems, formatIssues } from '../../domain/lifecycle-request';
import type { LifecycleStatus } from '../../domain/lifecycle-status';
import { lifecycleSecretRef } from '../../domain/secret-refs';
import { lifecycleWorkflowInputSchema, type LifecycleWorkflowInput } from '../lifecycle-input';
import * as messages from '../messages';
import { holdWhileActive, type ActiveOutcome } from './active';
import { attest, attestRefusal } from './attestation';
import { lifecycleActivities } from './activities';
import { compensate, fail } from './compensation';
import { deactivate, endBeforeActive } from './deactivation';
import { EndedBeforeActive, invalidInput } from './failures';
import { checked, Lifecycle } from './lifecycle';
import { provision } from './provisioning';
import { reassign, reassignRefusal, requestAsItStands } from './reassignment';
import { confirmSwitch, confirmSwitchRefusal, rotate, rotateRefusal } from './rotation';
import { publishEmail, publishOwner, publishVisibility } from './visibility';

function parseInput(rawInput: LifecycleWorkflowInput): Lifecycle['input'] {
  const parsed = lifecycleWorkflowInputSchema.safeParse(rawInput);
  if (!parsed.success) throw invalidInput(formatIssues(parsed.error));
  const own = lifecycleSecretRef(workflowInfo().workflowId);
  if (parsed.data.secretRef !== undefined && parsed.data.secretRef !== own) {
    throw invalidInput([
      `secretRef: a lifecycle keeps its secret under ${own}, derived from its own workflow id; start it without one`,
    ]);
  }
  return parsed.data;
}

/** A validator refuses by throwing: the update never enters history. */
function refuseWith(refusal: string | undefined): void {
  if (refusal !== undefined) throw new Error(refusal);
}

/** An extension moves the expiry that visibility filters on. */
function extended(status: LifecycleStatus): LifecycleStatus {
  publishVisibility(status);
  return status;
}

function installHandlers(lc: Lifecycle): void {
  setHandler(messages.statusQuery, () => lc.status);
  setHandler(messages.requestQuery, () => requestAsItStands(lc));
  setHandler(messages.extendUpdate, (u) => lc.extend(u).then(extended), {
    validator: (u: ExtendInput) => lc.validateExtend(u),
  });
  setHandler(messages.revokeUpdate, (u) => lc.revoke(u), {
    validator: (u: RevokeInput) => lc.validateRevoke(u),
  });
  setHandler(messages.checkDriftSignal, () => lc.checkDriftRequested());
  setHandler(messages.revokeSignal, (signal) => lc.revokeBySignal(signal));
  setHandler(messages.completeOperatorStepUpdate, (c) => lc.completeOperatorStep(c), {
    validator: (c: CompleteOperatorStepInput) => lc.validateCompletion(c),
  });
  setHandler(messages.rotateUpdate, (u) => rotate(lc, u), {
    validator: (u: RotateInput) => refuseWith(rotateRefusal(lc, checked(rotateInputSchema, u).overlapMs)),
  });
  setHandler(messages.attestUpdate, (u) => attest(lc, checked(attestInputSchema, u)), {
    validator: (u: AttestInput) => {
      checked(attestInputSchema, u);
      refuseWith(attestRefusal(lc));
    },
  });
  setHandler(messages.reassignUpdate, (u) => reassign(lc, checked(reassignInputSchema, u)), {
    validator: (u: ReassignInput) => refuseWith(reassignRefusal(lc, checked(reassignInputSchema, u))),
  });
  setHandler(messages.confirmSwitchUpdate, (u) => confirmSwitch(lc, u), {
    validator: (u: ConfirmSwitchInput) => {
      checked(confirmSwitchInputSchema, u);
      refuseWith(confirmSwitchRefusal(lc));
    },
  });
}

/**
 * Refused before anything exists: nothing to undo, nobody to notify. Judged as of the start, so a request valid
 * when submitted whose first task ran after its expiry (workers down) ends as expired before activation.
 */
function judgeAtStart(lc: Lifecycle): void {
  const createdAt = Date.parse(lc.status.createdAt);
  const problems = [
    ...expiryProblems(lc.request.expiresAt, createdAt, createdAt, lc.policy),
    ...attestationProblems(lc.request),
  ];
  if (problems.length) throw invalidInput(problems);
}

async function runChain(lc: Lifecycle): Promise<ActiveOutcome> {
  if (lc.status.phase !== 'active') await provision(lc);
  const next = await holdWhileActive(lc);
  if (next !== 'continue-as-new') await deactivate(lc, next);
  return next;
}

export async function lifecycleWorkflow(rawInput: LifecycleWorkflowInput): Promise<LifecycleStatus> {
  const input = parseInput(rawInput);
  const lc = new Lifecycle(input, lifecycleActivities(workflowInfo().taskQueue));
  installHandlers(lc);
  publishVisibility(lc.status);
  publishEmail(lc.request.email);
  publishOwner(lc.status);
  if (!input.carried) judgeAtStart(lc);
  let next: ActiveOutcome;
  try {
    next = await runChain(lc);
  } catch (error) {
    const undone = await CancellationScope.nonCancellable(() => compensate(lc));
    if (!(error instanceof EndedBeforeActive)) {
      const failure = await fail(lc, error, undone);
      await condition(allHandlersFinished);
      throw failure;
    }
    await endBeforeActive(lc, error, undone);
    next = 'expired';
  }
  await lc.settleNotifications();
  await condition(allHandlersFinished);
  if (next === 'continue-as-new') {
    lc.record('continued as new', `history reached ${workflowInfo().historyLength} events`);
    return continueAsNew<typeof lifecycleWorkflow>({ ...rawInput, carried: lc.state });
  }
  return lc.status;
}
