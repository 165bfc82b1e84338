/**
 * Reads the world a plan compares the file with. The file's own emails are read straight from their workflows
 * (describe, then the status and request queries), which is consistent right after an apply; visibility, which
 * lags, is asked only for the running lifecycles the file does not name, and each of those is described again.
 */
import { WorkflowNotFoundError, type WorkflowClient, type WorkflowHandle } from '@temporalio/client';
import { MauInstance, EMAIL_MEMO_FIELD } from '../domain/search-attributes';
import { TemporalUnavailableError } from '../errors';
import { queryLiteral } from '../lifecycle-list';
import type { lifecycleWorkflow } from '../workflows';
import { requestQuery, statusQuery } from '../workflows/messages';
import { mapLimited } from '../domain/map-limited';
import { markerFromMemo } from './marker';
import type { ObservedLifecycle, Observation } from './observation';

export interface ObserveTarget {
  workflows: WorkflowClient;
  instanceId: string;
  workflowIdFor(email: string): string;
}

type Handle = WorkflowHandle<typeof lifecycleWorkflow>;

/** A query needs a worker: without one, say so rather than hang the plan. */
const QUERY_DEADLINE_MS = 15_000;

async function queryBoth(workflows: WorkflowClient, handle: Handle, email: string) {
  try {
    // One after the other: a worker that answers the first answers the second, and one that does not
    // leaves a single call to time out.
    return await workflows.withDeadline(Date.now() + QUERY_DEADLINE_MS, async () => {
      const status = await handle.query(statusQuery);
      return [status, await handle.query(requestQuery)] as const;
    });
  } catch (error) {
    throw new TemporalUnavailableError(
      `The lifecycle of ${email} did not answer within ${QUERY_DEADLINE_MS / 1000} s (${(error as Error).message.split('\n')[0]}); nothing was changed.`,
      'Check that a worker runs (`marketo-api-users up` or `marketo-api-users worker`), then plan again.',
    );
  }
}

async function runningDetails(
  workflows: WorkflowClient,
  handle: Handle,
  email: string,
): Promise<Partial<ObservedLifecycle>> {
  const [status, request] = await queryBoth(workflows, handle, email);
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
      ...(request.owner === undefined ? {} : { owner: request.owner }),
      ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
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
    ...(running && withDetails ? await runningDetails(workflows, handle, email) : {}),
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

/** A few lifecycles at a time: a file of a thousand users is read in seconds without flooding the frontend. */
export const OBSERVE_CONCURRENCY = 8;

export async function observe(target: ObserveTarget, emails: string[]): Promise<Observation> {
  const observed = await mapLimited(emails, OBSERVE_CONCURRENCY, (email) =>
    observeOne(target.workflows, target.workflowIdFor(email), email, true),
  );
  const byEmail = new Map<string, ObservedLifecycle>();
  for (const one of observed) if (one) byEmail.set(one.email, one);
  return { byEmail, unlisted: await unlistedRunning(target, new Set(emails)) };
}
