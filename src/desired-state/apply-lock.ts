/**
 * One apply at a time per Marketo instance. The lock is a Temporal workflow id: starting a workflow with the
 * instance's lock id fails while another one runs, which Temporal decides atomically for every machine. No worker
 * runs the lock's workflow; it only has to exist. It ends when the apply terminates it, or, should the apply
 * crash, when its execution timeout passes, so a crashed apply never blocks the next one for long.
 */
import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type WorkflowClient } from '@temporalio/client';
import { ApplyInProgressError } from '../errors';

/** Longer than any apply should take (each user is a few Marketo calls); a crashed apply frees the lock then. */
export const APPLY_LOCK_TIMEOUT_MS = 30 * 60_000;
const LOCK_WORKFLOW_TYPE = 'desiredStateApplyLock';

export function applyLockId(instanceId: string): string {
  // Hashed: an instance id may be long, and is part of nothing a person reads here.
  const digest = createHash('sha256').update(instanceId).digest('hex').slice(0, 24);
  return `marketo-api-users-apply-lock-${digest}`;
}

export interface ApplyLock {
  release(): Promise<void>;
}

export async function acquireApplyLock(
  workflows: WorkflowClient,
  options: { instanceId: string; taskQueue: string; timeoutMs?: number },
): Promise<ApplyLock> {
  const workflowId = applyLockId(options.instanceId);
  try {
    const handle = await workflows.start(LOCK_WORKFLOW_TYPE, {
      workflowId,
      // Polled by no worker: the lock is the running execution itself, not anything it does.
      taskQueue: `${options.taskQueue}-apply-lock`,
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowExecutionTimeout: options.timeoutMs ?? APPLY_LOCK_TIMEOUT_MS,
    });
    return {
      release: () =>
        handle.terminate('apply finished').then(
          () => undefined,
          () => undefined, // already timed out: nothing left to release
        ),
    };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw new ApplyInProgressError(
      `another apply is running on this Marketo instance (lock ${workflowId}); nothing was changed`,
      'run plan again once it has finished; a crashed apply frees the lock within 30 minutes, or terminate that workflow',
    );
  }
}
