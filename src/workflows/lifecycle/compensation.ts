/**
 * Undoing what a run made, newest first (a service before its user, a user before its role), and failing
 * the lifecycle with what was and was not undone.
 */
import { ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import { rootCause } from './failures';
import type { Lifecycle } from './lifecycle';
import { publishVisibility } from './visibility';

/** Runs every undo, newest first; a failed undo is noted (remove it by hand), never stops the others. */
export async function compensate(lc: Lifecycle): Promise<string[]> {
  const notes: string[] = [];
  for (let step = lc.undoStack.pop(); step; step = lc.undoStack.pop()) {
    try {
      const outcome = await step.undo();
      lc.record('undone', `${step.what}: ${outcome}`);
      notes.push(`${step.what}: ${outcome}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      lc.record('undo failed', `${step.what}: ${message}`);
      notes.push(`${step.what}: NOT undone (${message}); remove it by hand`);
    }
  }
  return notes;
}

/** Marks the lifecycle failed, tells whoever listens, and answers the failure the workflow ends with. */
export async function fail(lc: Lifecycle, error: unknown, undone: string[]): Promise<ApplicationFailure> {
  const { status } = lc;
  const { type, message } = rootCause(error);
  status.phase = 'failed';
  publishVisibility(status);
  status.pendingOperatorAction = undefined;
  status.failure = { type, message };
  lc.record('failed', `${type}: ${message}`);
  const detail = { type, message: message.slice(0, 1000), undone: undone.join('; ').slice(0, 1000) };
  void lc.audit('provisioning-failed', 'failed', { detail });
  await CancellationScope.nonCancellable(async () => {
    void lc.notify('failed', `The lifecycle of ${lc.request.email} failed: ${message}`, { type, undone });
    await lc.settleNotifications();
  });
  return ApplicationFailure.create({
    type: 'LifecycleFailed',
    message: `${message}${undone.length ? ` Undone: ${undone.join('; ')}.` : ''}`,
    nonRetryable: true,
    cause: error instanceof Error ? error : undefined,
  });
}
