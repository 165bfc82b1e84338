/**
 * The sweep's dependencies for one worker: what it reads from Temporal (the lifecycles this instance manages)
 * and where it keeps first sightings.
 */
import { QueryNotRegisteredError, WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import type { SweepDeps, SweepMemory } from '../activities/deps';
import type { ManagedLifecycle } from '../activities/types';
import { normalizeEmail } from '../security/workflow-id';
import { statusQuery } from '../workflows/messages';

export interface ManagedScope {
  /** The lifecycles' task queue: other deployments may share the namespace. */
  taskQueue: string;
  /** This instance's workflow id for an email: a lifecycle of another Marketo instance never matches. */
  workflowIdFor(email: string): string;
}

/**
 * Of `emails` (one page of a sweep), those an active lifecycle of this instance manages, by lowercased email.
 * Each lifecycle's id is derived from its email (keyed hash), so only the page's own lifecycles are asked, and
 * only matches come back: the cost and the answer grow with the page, not with every lifecycle of the namespace.
 */
export function managedLifecyclesOfFrom(
  client: WorkflowClient,
  scope: ManagedScope,
): (emails: string[]) => Promise<Record<string, ManagedLifecycle>> {
  return async (emails) => {
    const pending = [...new Set(emails.map(normalizeEmail))].filter(Boolean);
    const managed: Record<string, ManagedLifecycle> = {};
    const lanes = Array.from({ length: Math.min(10, pending.length) }, async () => {
      for (let email = pending.pop(); email !== undefined; email = pending.pop()) {
        const handle = client.getHandle(scope.workflowIdFor(email));
        let description;
        try {
          description = await handle.describe();
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) continue; // no lifecycle: the policy alone governs
          throw error;
        }
        // A closed lifecycle no longer governs its user; another deployment's queue is not ours to judge.
        if (description.status.name !== 'RUNNING' || description.taskQueue !== scope.taskQueue) continue;
        // A lifecycle that cannot answer is not counted as managing its user.
        const status = await handle.query(statusQuery).catch(() => undefined);
        if (status?.phase !== 'active' || normalizeEmail(status.email) !== email) continue;
        managed[email] = { workflowId: handle.workflowId, expiresAt: status.expiresAt };
      }
    });
    await Promise.all(lanes);
    return managed;
  };
}

/**
 * The expiry one lifecycle holds at this moment, or null when it no longer governs its user. The sweep asks
 * just before acting on a drift, because its page's lookup of lifecycles came first: a revoke or an extend
 * since then is not a drift.
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

/** The sweep's dependencies for one worker: Temporal for managed lifecycles, the store for first sightings. */
export function createSweepDeps(client: WorkflowClient, scope: ManagedScope, memory: SweepMemory): SweepDeps {
  return {
    managedLifecyclesOf: managedLifecyclesOfFrom(client, scope),
    currentManagedExpiry: currentManagedExpiryFrom(client),
    memory,
  };
}
