/**
 * Carrying out a plan's changes, one user after the other, each through the lifecycle's own start, extend,
 * reassign or revoke: what a workflow refuses stays refused. Every step is safe to repeat, so an apply that
 * crashed halfway is finished by the next one (its plan shows only what is left).
 */
import { lifecycleRequestSchema, toWholeSecond, type LifecycleRequest } from '../domain/lifecycle-request';
import type { LifecycleStatus } from '../domain/lifecycle-status';
import type { LifecycleClient } from '../client';
import { startLifecycle } from '../lifecycle-start';
import type { DesiredStateFile } from './file-schema';
import { DESIRED_STATE_MEMO_FIELD, type DesiredStateMarker } from './marker';
import type { PlannedAction } from './plan-schema';

export interface ExecuteOptions {
  /** Who applied, for the audit log of every lifecycle touched. */
  actor: string;
  onProgress?: (text: string) => void;
  /** How long to wait for each new lifecycle to settle (active or awaiting an operator). */
  settleTimeoutMs?: number;
}

export interface AppliedChange {
  kind: PlannedAction['kind'];
  email: string;
  /** The lifecycle's phase afterwards: `awaiting-operator` names a step a person must take. */
  phase: LifecycleStatus['phase'];
  expiresAt: string;
  /** Why the lifecycle failed (phase `failed`): the apply stops there. */
  failure?: string;
}

type Change<K extends PlannedAction['kind']> = Extract<PlannedAction, { kind: K }>;

function requestFor(file: DesiredStateFile, entry: number, expiresAt: string): LifecycleRequest {
  const { lifetime: _lifetime, expiresAt: _given, ...rest } = file.users[entry]!;
  return lifecycleRequestSchema.parse({ ...rest, expiresAt: toWholeSecond(expiresAt) });
}

async function create(
  client: LifecycleClient,
  file: DesiredStateFile,
  action: Change<'create'> | Change<'replace'> | Change<'adopt'>,
  options: ExecuteOptions,
): Promise<LifecycleStatus> {
  const now = Date.now();
  const lifetimeMs = action.kind === 'replace' ? undefined : action.lifetimeMs;
  const expiresAt = action.expiresAt ?? new Date(now + lifetimeMs!).toISOString();
  const firstAppliedAt = action.kind === 'adopt' ? undefined : action.firstAppliedAt;
  const marker: DesiredStateMarker = { firstAppliedAt: firstAppliedAt ?? new Date(now).toISOString() };
  const request = requestFor(file, action.entry, expiresAt);
  const { context } = client;
  await startLifecycle(client.workflows, {
    workflowId: context.workflowIdFor(request.email),
    taskQueue: context.taskQueue,
    request,
    workflowIdKeyFingerprint: context.workflowIdKeyFingerprint,
    actor: options.actor,
    instanceId: context.instanceId,
    memo: { [DESIRED_STATE_MEMO_FIELD]: marker },
    ...(action.kind === 'adopt' ? { adopt: { marketoUserId: action.marketoUserId } } : {}),
  });
  return client.waitUntilSettled(request.email, {
    ...(options.settleTimeoutMs !== undefined ? { timeoutMs: options.settleTimeoutMs } : {}),
    onProgress: (s) => options.onProgress?.(`${request.email}: ${s.phase}`),
  });
}

async function replace(
  client: LifecycleClient,
  file: DesiredStateFile,
  action: Change<'replace'>,
  options: ExecuteOptions,
): Promise<LifecycleStatus> {
  const reason = `desired state: ${action.changes.join(', ')}`.slice(0, 500);
  await client.revoke(action.email, { actor: options.actor, reason });
  // The new run may start only once the old one has closed, or the start would find the old one running.
  await client.workflows
    .getHandle(action.workflowId)
    .result()
    .catch(() => undefined);
  return create(client, file, action, options);
}

/**
 * The extension first, then the owner and ticket: the extension is what a lifecycle may refuse by policy, so a
 * refusal stops the apply with nothing of this user changed (a reassignment is refused only once it is ending).
 */
async function reassign(
  client: LifecycleClient,
  action: Change<'reassign'>,
  actor: string,
): Promise<LifecycleStatus> {
  if (action.extend) await client.extend(action.email, { expiresAt: action.extend.to, actor });
  return client.reassign(action.email, {
    ...(action.owner ? { owner: action.owner.to } : {}),
    ...(action.ticket ? { ticket: action.ticket.to } : {}),
    actor,
    reason: 'desired state',
  });
}

async function executeOne(
  client: LifecycleClient,
  file: DesiredStateFile,
  action: PlannedAction,
  options: ExecuteOptions,
): Promise<LifecycleStatus | undefined> {
  const { actor } = options;
  switch (action.kind) {
    case 'create':
    case 'adopt':
      return create(client, file, action, options);
    case 'replace':
      return replace(client, file, action, options);
    case 'extend':
      return client.extend(action.email, { expiresAt: action.to, actor });
    case 'reassign':
      return reassign(client, action, actor);
    case 'revoke':
      return client.revoke(action.email, { actor, reason: 'removed from the desired-state file' });
    default:
      return undefined;
  }
}

/**
 * Applies each change in order. The first error, or lifecycle that failed, stops the apply: a re-run picks up
 * from there.
 */
export async function executeChanges(
  client: LifecycleClient,
  file: DesiredStateFile,
  actions: PlannedAction[],
  options: ExecuteOptions,
): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const action of actions) {
    options.onProgress?.(`${action.kind} ${action.email}`);
    const status = await executeOne(client, file, action, options);
    if (!status) continue;
    const { phase, expiresAt, failure } = status;
    applied.push({
      kind: action.kind,
      email: action.email,
      phase,
      expiresAt,
      ...(failure ? { failure: failure.message } : {}),
    });
    // What failed was undone by its lifecycle; the next plan shows it again, once its cause is fixed.
    if (phase === 'failed') break;
  }
  return applied;
}
