import { QueryNotRegisteredError, WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import type { ManagedLifecycle } from '../activities/types';
import { statusQuery } from '../workflows/messages';

export interface ManagedScope {
  /** The lifecycles' task queue: other deployments may share the namespace. */
  taskQueue: string;
  /** This instance's workflow id for an email: a lifecycle of another Marketo instance never matches. */
  workflowIdFor(email: string): string;
}

/**
 * The active lifecycles of this instance, by lowercased email, with the expiry each holds. Read from Temporal
 * itself (list, then the status query), so there is no second record to drift.
 */
export function managedExpiriesFrom(
  client: WorkflowClient,
  scope: ManagedScope,
): () => Promise<Record<string, ManagedLifecycle>> {
  return async () => {
    const ids: string[] = [];
    const query =
      `WorkflowType = 'lifecycleWorkflow' AND ExecutionStatus = 'Running' ` +
      `AND TaskQueue = '${scope.taskQueue.replace(/'/g, "''")}'`;
    for await (const execution of client.list({ query })) ids.push(execution.workflowId);
    const managed: Record<string, ManagedLifecycle> = {};
    const lanes = Array.from({ length: Math.min(10, ids.length) }, async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const status = await client
          .getHandle(id)
          .query(statusQuery)
          .catch(() => undefined);
        if (status?.phase !== 'active' || scope.workflowIdFor(status.email) !== id) continue;
        managed[status.email.toLowerCase()] = { workflowId: id, expiresAt: status.expiresAt };
      }
    });
    await Promise.all(lanes);
    return managed;
  };
}

/**
 * The expiry one lifecycle holds at this moment, or null when it no longer governs its user. The sweep asks
 * just before acting on a drift, because its list of lifecycles dates from the sweep's start: a revoke or an
 * extend since then is not a drift.
 */
export function currentManagedExpiryFrom(
  client: WorkflowClient,
): (workflowId: string) => Promise<string | null> {
  return async (workflowId) => {
    try {
      const status = await client.getHandle(workflowId).query(statusQuery);
      return status.phase === 'active' ? status.expiresAt : null;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError || error instanceof QueryNotRegisteredError) return null;
      throw error;
    }
  };
}
