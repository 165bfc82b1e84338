// Every message of every workflow (lifecycle, sweep), shared by the workflows and their clients (CLI, client API, tests).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AttestInput,
  CompleteOperatorStepInput,
  ConfirmSwitchInput,
  ExtendInput,
  ReassignInput,
  RevokeInput,
  RotateInput,
} from '../domain/lifecycle-messages';
import type { LifecycleRequest } from '../domain/lifecycle-request';
import type { LifecycleStatus } from '../domain/lifecycle-status';
import type { SweepCounts } from '../domain/sweep-policy';

// ---- lifecycle -------------------------------------------------------------------------------------------

export const statusQuery = defineQuery<LifecycleStatus>('status');
/** The request the lifecycle was started with, as validated: a re-onboarding compares itself with it. */
export const requestQuery = defineQuery<LifecycleRequest>('request');
/** Moves the expiry later (validated: later than now's expiry, within the maximum lifetime) and in Marketo. */
export const extendUpdate = defineUpdate<LifecycleStatus, [ExtendInput]>('extend');
/** Deactivates at once; returns the status once deactivated. */
export const revokeUpdate = defineUpdate<LifecycleStatus, [RevokeInput]>('revoke');
/**
 * A sweep found Marketo's expiry differing from this lifecycle's: the lifecycle checks and corrects it itself,
 * so the correction is ordered with its own extend and revoke (a sweep's write could undo a revoke).
 */
export const checkDriftSignal = defineSignal('checkDrift');
/** Fire-and-forget revoke, for senders that cannot wait (a ticketing hook). */
export const revokeSignal = defineSignal<[RevokeInput]>('revoke');
/** The operator says a pending step is done; the workflow verifies before it goes on, and answers with the outcome. */
export const completeOperatorStepUpdate = defineUpdate<
  { verified: boolean; problem?: string; status: LifecycleStatus },
  [CompleteOperatorStepInput]
>('completeOperatorStep');

/**
 * Stages a second custom service; answers once both services work (or the operator is asked for the second, or
 * the rotation was abandoned). Refused while another rotation runs, with the time its overlap ends.
 */
export const rotateUpdate = defineUpdate<LifecycleStatus, [RotateInput]>('rotate');
/** The consumer uses the new credentials: retire the old service now; answers once it is proven dead or waits on someone. */
export const confirmSwitchUpdate = defineUpdate<LifecycleStatus, [ConfirmSwitchInput]>('confirmSwitch');

/**
 * The owner attests (`keep`: the clock restarts; `revoke`: the user is locked, answered once it is). Refused for a
 * lifecycle that is not active.
 */
export const attestUpdate = defineUpdate<LifecycleStatus, [AttestInput]>('attest');

/** A new owner or ticket in place (see reassignInputSchema); refused for a lifecycle that is ending or ended. */
export const reassignUpdate = defineUpdate<LifecycleStatus, [ReassignInput]>('reassign');

// ---- sweep -----------------------------------------------------------------------------------------------
export interface SweepProgress {
  pages: number;
  pageOffset: number;
  counts: SweepCounts;
  dryRun: boolean;
  done: boolean;
}
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');
