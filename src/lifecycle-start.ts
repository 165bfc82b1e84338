/**
 * Starting a lifecycle, or finding the running one. A lifecycle that ended left its API-only user in Marketo,
 * locked: the new run is told which user that was (from the ended run's final status), so it takes that user
 * back instead of refusing it as somebody else's.
 */
import type { WorkflowClient } from '@temporalio/client';
import type { LifecycleRequest } from './domain/lifecycle-request';
import type { LifecycleStatus } from './domain/lifecycle-status';
import { EMAIL_MEMO_FIELD, MANAGED_BY, MauInstance, MauManagedBy } from './domain/search-attributes';
import { lifecycleWorkflow } from './workflows';
import {
  previousLifecycleSchema,
  type AdoptedUser,
  type PreviousLifecycle,
} from './workflows/lifecycle-input';
import { statusQuery } from './workflows/messages';

/** A query of a closed run needs a worker to replay it: without one, give up rather than hang the onboarding. */
const CLOSED_RUN_QUERY_MS = 10_000;

/** The latest run of `workflowId`: whether it runs, and what an ended one left behind in Marketo. */
export async function findPreviousLifecycle(
  workflows: WorkflowClient,
  workflowId: string,
): Promise<{ running: boolean; previous?: PreviousLifecycle }> {
  const handle = workflows.getHandle<typeof lifecycleWorkflow>(workflowId);
  const description = await handle.describe().catch(() => undefined);
  if (!description) return { running: false };
  if (description.status.name === 'RUNNING') return { running: true };
  let final: LifecycleStatus | undefined;
  if (description.status.name === 'COMPLETED') {
    // A completed lifecycle returns its final status: read from history, no worker needed.
    final = await handle.result().catch(() => undefined);
  }
  final ??= await workflows
    .withDeadline(Date.now() + CLOSED_RUN_QUERY_MS, () => handle.query(statusQuery))
    .catch(() => undefined);
  const parsed = previousLifecycleSchema.safeParse({
    marketoUserId: final?.marketoUserId,
    ...(final?.clientId ? { clientId: final.clientId } : {}),
  });
  return parsed.success ? { running: false, previous: parsed.data } : { running: false };
}

/** Starts the lifecycle unless one runs; returns whether this call started it. */
export async function startLifecycle(
  workflows: WorkflowClient,
  options: {
    workflowId: string;
    taskQueue: string;
    request: LifecycleRequest;
    /** Of the key that made `workflowId`: the worker refuses the lifecycle when its own key differs. */
    workflowIdKeyFingerprint: string;
    /** Who onboarded, for the audit log. */
    actor?: string;
    /** The Marketo instance, as a search attribute (the workflow upserts the rest). */
    instanceId?: string;
    /** More memo fields beside the email (an apply's marker); encrypted by the payload codec like the email. */
    memo?: Record<string, unknown>;
    /** A hand-made API-only user of this email to take over (a desired-state adopt), by its Marketo id. */
    adopt?: AdoptedUser;
  },
): Promise<{ started: boolean }> {
  const { running, previous } = await findPreviousLifecycle(workflows, options.workflowId);
  await workflows.start(lifecycleWorkflow, {
    taskQueue: options.taskQueue,
    workflowId: options.workflowId,
    // Starting twice returns the running lifecycle; a new one may start after the old one ended.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    // The email goes in the memo, which the payload codec encrypts; search attributes are stored in clear.
    memo: { ...options.memo, [EMAIL_MEMO_FIELD]: options.request.email },
    typedSearchAttributes: [
      { key: MauManagedBy, value: MANAGED_BY },
      ...(options.instanceId ? [{ key: MauInstance, value: options.instanceId }] : []),
    ],
    args: [
      {
        request: options.request,
        workflowIdKeyFingerprint: options.workflowIdKeyFingerprint,
        ...(previous ? { previous } : {}),
        ...(options.adopt ? { adopt: options.adopt } : {}),
        ...(options.actor ? { actor: options.actor } : {}),
      },
    ],
  });
  return { started: !running };
}
