/**
 * The sweep's dependencies for one worker: what it reads from Temporal (the lifecycles this instance manages)
 * and where it keeps first sightings.
 */
import { QueryNotRegisteredError, WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import type { SweepDeps, SweepMemory } from '../activities/deps';
import type { ManagedLifecycle } from '../activities/types';
import { normalizeEmail } from '../security/workflow-id';
import { EMAIL_MEMO_FIELD, MauExpiresAt, MauPhase } from '../domain/search-attributes';
import { queryLiteral } from '../lifecycle-list';
import { statusQuery } from '../workflows/messages';

export interface ManagedScope {
  /** The lifecycles' task queue: other deployments may share the namespace. */
  taskQueue: string;
  /** This instance's workflow id for an email: a lifecycle of another Marketo instance never matches. */
  workflowIdFor(email: string): string;
}

/** Workflow ids per visibility query: keeps the query short whatever the sweep's page size. */
const IDS_PER_QUERY = 100;

function managedQuery(workflowIds: string[], taskQueue: string): string {
  // Another deployment's queue is not ours to judge; a lifecycle not (or no longer) active does not govern.
  return [
    `WorkflowType = 'lifecycleWorkflow'`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = ${queryLiteral(taskQueue)}`,
    `${MauPhase.name} = 'active'`,
    `WorkflowId IN (${workflowIds.map(queryLiteral).join(', ')})`,
  ].join(' AND ');
}

/**
 * Of `emails` (one page of a sweep), those an active lifecycle of this instance manages, by lowercased email.
 * Each lifecycle's id is derived from its email (keyed hash), so visibility is asked for the page's own ids only:
 * one call per hundred users, and no lifecycle is queried (a query is a workflow task, a replay when uncached).
 * The email comes from the memo and must be the one the id was derived for.
 */
export function managedLifecyclesOfFrom(
  client: WorkflowClient,
  scope: ManagedScope,
): (emails: string[]) => Promise<Record<string, ManagedLifecycle>> {
  return async (emails) => {
    const byId = new Map<string, string>();
    for (const email of new Set(emails.map(normalizeEmail))) {
      if (email) byId.set(scope.workflowIdFor(email), email);
    }
    const ids = [...byId.keys()];
    const managed: Record<string, ManagedLifecycle> = {};
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const query = managedQuery(ids.slice(i, i + IDS_PER_QUERY), scope.taskQueue);
      for await (const execution of client.list({ query })) {
        const email = byId.get(execution.workflowId);
        const memoEmail = execution.memo?.[EMAIL_MEMO_FIELD];
        const expiresAt = execution.typedSearchAttributes.get(MauExpiresAt);
        if (!email || typeof memoEmail !== 'string' || normalizeEmail(memoEmail) !== email || !expiresAt)
          continue;
        managed[email] = { workflowId: execution.workflowId, expiresAt: expiresAt.toISOString() };
      }
    }
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
