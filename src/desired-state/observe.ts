/**
 * Reads the world a plan compares the file with. The file's own emails are read straight from their workflows
 * (describe, then the status and request queries), which is consistent right after an apply; visibility, which
 * lags, is asked only for the running lifecycles the file does not name, and each of those is described again.
 */
import { WorkflowNotFoundError, type WorkflowClient, type WorkflowHandle } from '@temporalio/client';
import { MauInstance, EMAIL_MEMO_FIELD } from '../domain/search-attributes';
import { queryLiteral } from '../lifecycle-list';
import type { lifecycleWorkflow } from '../workflows';
import { requestQuery, statusQuery } from '../workflows/messages';
import { markerFromMemo } from './marker';
import type { ObservedLifecycle, Observation } from './observation';

export interface ObserveTarget {
  workflows: WorkflowClient;
  instanceId: string;
  workflowIdFor(email: string): string;
}

type Handle = WorkflowHandle<typeof lifecycleWorkflow>;

async function runningDetails(handle: Handle): Promise<Partial<ObservedLifecycle>> {
  const [status, request] = await Promise.all([handle.query(statusQuery), handle.query(requestQuery)]);
  return {
    phase: status.phase,
    expiresAt: status.expiresAt,
    createdAt: status.createdAt,
    request: {
      firstName: request.firstName,
      lastName: request.lastName,
      role: request.role,
      service: request.service,
      policy: request.policy,
    },
  };
}

/** The latest run of `workflowId`, or undefined when there never was one. */
async function observeOne(
  workflows: WorkflowClient,
  workflowId: string,
  email: string,
  withDetails: boolean,
): Promise<ObservedLifecycle | undefined> {
  const handle = workflows.getHandle<typeof lifecycleWorkflow>(workflowId);
  const description = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  if (!description) return undefined;
  const running = description.status.name === 'RUNNING';
  const marker = markerFromMemo(description.memo);
  return {
    email,
    workflowId,
    runId: description.runId,
    running,
    phase: running ? 'unknown' : description.status.name === 'COMPLETED' ? 'deactivated' : 'failed',
    expiresAt: null,
    createdAt: null,
    ...(marker ? { marker } : {}),
    ...(running && withDetails ? await runningDetails(handle) : {}),
  };
}

async function unlistedRunning(target: ObserveTarget, listed: Set<string>): Promise<ObservedLifecycle[]> {
  const query = [
    `WorkflowType = 'lifecycleWorkflow'`,
    `ExecutionStatus = 'Running'`,
    `${MauInstance.name} = ${queryLiteral(target.instanceId)}`,
  ].join(' AND ');
  const found: ObservedLifecycle[] = [];
  const seen = new Set<string>();
  for await (const execution of target.workflows.list({ query, pageSize: 1000 })) {
    const email = execution.memo?.[EMAIL_MEMO_FIELD];
    if (typeof email !== 'string' || listed.has(email) || seen.has(execution.workflowId)) continue;
    seen.add(execution.workflowId);
    const observed = await observeOne(target.workflows, execution.workflowId, email, false);
    if (observed?.running) found.push(observed);
  }
  return found.sort((a, b) => a.email.localeCompare(b.email));
}

export async function observe(target: ObserveTarget, emails: string[]): Promise<Observation> {
  const byEmail = new Map<string, ObservedLifecycle>();
  for (const email of emails) {
    const observed = await observeOne(target.workflows, target.workflowIdFor(email), email, true);
    if (observed) byEmail.set(email, observed);
  }
  return { byEmail, unlisted: await unlistedRunning(target, new Set(emails)) };
}
