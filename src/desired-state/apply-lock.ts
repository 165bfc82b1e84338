/**
 * One apply at a time per Marketo instance. The lock is a Temporal workflow id: starting a workflow with the
 * instance's lock id fails while another one runs, which Temporal decides atomically for every machine. No worker
 * runs the lock's workflow; it only has to exist. It ends when the apply terminates it; should the apply crash,
 * the next apply on the same machine frees it at once (its holder's process is gone), and any other frees it
 * when its execution timeout passes.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { WorkflowExecutionAlreadyStartedError, type WorkflowClient } from '@temporalio/client';
import { z } from 'zod';
import { isProcessRunning } from '../app/process-liveness';
import { ApplyInProgressError } from '../errors';

/** Longer than any apply should take (each user is a few Marketo calls); a crashed apply frees the lock then. */
export const APPLY_LOCK_TIMEOUT_MS = 30 * 60_000;
const LOCK_WORKFLOW_TYPE = 'desiredStateApplyLock';
const HOLDER_MEMO_FIELD = 'holder';

const holderSchema = z.object({ host: z.string(), pid: z.number().int(), since: z.string() });
type Holder = z.infer<typeof holderSchema>;

export function applyLockId(instanceId: string): string {
  // Hashed: an instance id may be long, and is part of nothing a person reads here.
  const digest = createHash('sha256').update(instanceId).digest('hex').slice(0, 24);
  return `marketo-api-users-apply-lock-${digest}`;
}

export interface ApplyLock {
  release(): Promise<void>;
}

export interface ApplyLockOptions {
  instanceId: string;
  taskQueue: string;
  timeoutMs?: number;
  /** Who holds the lock; default this process on this machine. */
  holder?: Omit<Holder, 'since'>;
}

async function start(workflows: WorkflowClient, workflowId: string, options: ApplyLockOptions) {
  const holder: Holder = {
    ...(options.holder ?? { host: os.hostname(), pid: process.pid }),
    since: new Date().toISOString(),
  };
  const handle = await workflows.start(LOCK_WORKFLOW_TYPE, {
    workflowId,
    // Polled by no worker: the lock is the running execution itself, not anything it does.
    taskQueue: `${options.taskQueue}-apply-lock`,
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowExecutionTimeout: options.timeoutMs ?? APPLY_LOCK_TIMEOUT_MS,
    memo: { [HOLDER_MEMO_FIELD]: holder },
  });
  // Terminating an already timed-out lock fails: nothing is left to release then.
  return { release: () => handle.terminate('apply finished').then(noop, noop) };
}

const noop = () => undefined;

/** The running lock's holder, and whether it is a process of this machine that no longer runs. */
async function currentHolder(workflows: WorkflowClient, workflowId: string) {
  const description = await workflows.getHandle(workflowId).describe();
  const parsed = holderSchema.safeParse(description.memo?.[HOLDER_MEMO_FIELD]);
  const holder = parsed.success ? parsed.data : undefined;
  const gone = holder !== undefined && holder.host === os.hostname() && !isProcessRunning(holder.pid);
  return { holder, gone };
}

export async function acquireApplyLock(
  workflows: WorkflowClient,
  options: ApplyLockOptions,
): Promise<ApplyLock> {
  const workflowId = applyLockId(options.instanceId);
  for (let attempt = 0; ; attempt++) {
    try {
      return await start(workflows, workflowId, options);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const { holder, gone } = await currentHolder(workflows, workflowId);
    if (gone && attempt === 0) {
      await workflows.getHandle(workflowId).terminate(`its apply (pid ${holder!.pid}) is gone`).catch(noop);
      continue;
    }
    const who = holder ? ` by pid ${holder.pid} on ${holder.host} since ${holder.since}` : '';
    throw new ApplyInProgressError(
      `another apply is running on this Marketo instance (lock ${workflowId} held${who}); nothing was changed`,
      `run plan again once it has finished; if that apply crashed on another machine, the lock frees itself within ${Math.round((options.timeoutMs ?? APPLY_LOCK_TIMEOUT_MS) / 60_000)} minutes, or terminate workflow ${workflowId}`,
    );
  }
}
