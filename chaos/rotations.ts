/**
 * The chaos run's rotations: a share of the lifecycles that stay active rotate their custom service's secret while
 * the faults run, with the shortest overlap the product allows, and half of them confirm the switch early. The
 * driver notes the service each rotation retires (from the update's answer or a status query), so the run can
 * probe it after every overlap is over, whatever the workflow's answers lost to the faults.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { LifecycleStatus } from '../src/domain/lifecycle-status';
import { MIN_OVERLAP_MS } from '../src/domain/durations';
import type { lifecycleWorkflow } from '../src/workflows';
import { confirmSwitchUpdate, rotateUpdate, statusQuery } from '../src/workflows/messages';

export interface RotationPlan {
  workflowId: string;
  atMs: number;
  overlapMs: number;
  confirmSwitch: boolean;
  /** Filled in by the driver. */
  retiring?: { clientId: string; secretRef: string };
  rotateSent?: boolean;
  confirmSent?: boolean;
  lastError?: string;
}

export interface RotationWindow {
  /** When rotations start, in seconds after t0. */
  startS: readonly [number, number];
  /** The share of the given lifecycles that rotate. */
  share: number;
}

type Handle = WorkflowHandle<typeof lifecycleWorkflow>;

export function planRotations(
  workflowIds: readonly string[],
  t0: number,
  window: RotationWindow,
  random: () => number,
): RotationPlan[] {
  const count = Math.max(2, Math.round(workflowIds.length * window.share));
  return workflowIds.slice(0, count).map((workflowId, i) => ({
    workflowId,
    atMs: t0 + (window.startS[0] + random() * (window.startS[1] - window.startS[0])) * 1000,
    // Up to 10 s over the minimum, so that overlaps end at different moments.
    overlapMs: MIN_OVERLAP_MS + Math.round(random() * 10) * 1000,
    confirmSwitch: i % 2 === 0,
  }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Rejects after `ms`: a workflow whose tasks keep failing would otherwise hold the driver. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function statusOf(handle: Handle): Promise<LifecycleStatus | undefined> {
  return within(handle.query(statusQuery), 5000).catch(() => undefined);
}

function noteRetiring(plan: RotationPlan, status: LifecycleStatus | undefined): void {
  const retiring = status?.rotation?.retiring;
  if (retiring && plan.rotateSent) plan.retiring ??= { ...retiring };
}

/** Sends the rotation once the lifecycle is active, then the confirmation if planned; retries under faults. */
export async function driveRotation(handle: Handle, plan: RotationPlan, untilMs: number): Promise<void> {
  await sleep(plan.atMs - Date.now());
  while (Date.now() < untilMs) {
    const status = await statusOf(handle);
    noteRetiring(plan, status);
    if (status?.phase === 'deactivated' || status?.phase === 'failed') {
      if (!plan.rotateSent) plan.lastError = `the lifecycle was ${status.phase} before its rotation`;
      return;
    }
    const rotated = plan.rotateSent && (status?.rotation !== undefined || status?.lastRotation !== undefined);
    if (rotated && (!plan.confirmSwitch || plan.confirmSent || !status?.rotation)) return;
    if (status?.phase === 'active') await sendNext(handle, plan, status).catch(noteError(plan));
    await sleep(1500);
  }
}

const noteError = (plan: RotationPlan) => (error: unknown) => {
  plan.lastError = errorText(error);
};

async function sendNext(handle: Handle, plan: RotationPlan, status: LifecycleStatus): Promise<void> {
  if (!plan.rotateSent || (!status.rotation && !status.lastRotation)) {
    plan.rotateSent = true;
    const answer = await within(
      handle.executeUpdate(rotateUpdate, {
        args: [{ overlapMs: plan.overlapMs, actor: 'chaos' }],
        updateId: `rotate-${plan.workflowId}`,
      }),
      30_000,
    );
    noteRetiring(plan, answer);
    return;
  }
  if (status.rotation?.stage !== 'overlap') return;
  plan.confirmSent = true;
  await within(
    handle.executeUpdate(confirmSwitchUpdate, {
      args: [{ actor: 'chaos' }],
      updateId: `confirm-${plan.workflowId}`,
    }),
    30_000,
  );
}
