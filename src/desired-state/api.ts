/**
 * The desired-state client API: `plan` compares a reviewed file with the running lifecycles, `apply` carries out
 * exactly that plan (or a saved one, refused when the world changed since) under the instance's apply lock.
 */
import fs from 'node:fs';
import { z } from 'zod';
import type { LifecycleClient } from '../client';
import { actorSchema, formatIssues } from '../domain/lifecycle-request';
import { ApplyRefusedError, DesiredStateFileError, InputError, StalePlanError } from '../errors';
import { acquireApplyLock } from './apply-lock';
import { executeChanges, type AppliedChange } from './execute';
import { fieldName, MAX_FILE_BYTES, type ParsedDesiredState } from './parse-file';
import { planFor, summarize, type PlanSummary } from './plan';

export { summarize, type PlanSummary };
import { desiredStatePlanSchema, isChange, type DesiredStatePlan, type PlannedAction } from './plan-schema';

/** More revocations than this in one apply need `allowRevocations`: a truncated file must not lock everyone. */
export const DEFAULT_ALLOWED_REVOCATIONS = 1;

export const applyOptionsSchema = z
  .object({
    actor: actorSchema.default('desired-state'),
    /** The most users this apply may revoke. */
    allowRevocations: z.number().int().nonnegative().max(100_000).default(DEFAULT_ALLOWED_REVOCATIONS),
    /** Per new lifecycle: how long to wait until it is active or waits for an operator. */
    settleTimeoutMs: z.number().int().positive().optional(),
    lockTimeoutMs: z.number().int().min(60_000).optional(),
  })
  .strict();
export type ApplyOptions = z.input<typeof applyOptionsSchema> & {
  onProgress?: (text: string) => void;
  /** Hears the plan made under the lock, before any change: the plan the apply carries out. */
  onPlan?: (plan: DesiredStatePlan, summary: PlanSummary) => void;
};

export interface ApplyResult {
  plan: DesiredStatePlan;
  summary: PlanSummary;
  applied: AppliedChange[];
}

function targetOf(client: LifecycleClient, source: string, locate: ParsedDesiredState['locate']) {
  const { context } = client;
  return {
    workflows: client.workflows,
    instanceId: context.instanceId,
    taskQueue: context.taskQueue,
    workflowIdFor: (email: string) => context.workflowIdFor(email),
    source,
    locate,
  };
}

export function planDesiredState(
  client: LifecycleClient,
  parsed: ParsedDesiredState,
): Promise<DesiredStatePlan> {
  return planFor(
    targetOf(client, parsed.source, (path) => parsed.locate(path)),
    parsed.file,
  );
}

/** A plan saved by `plan --out`, checked: DesiredStateFileError when it is not one. */
export function readSavedPlan(filePath: string): DesiredStatePlan {
  let raw: unknown;
  try {
    if (fs.statSync(filePath).size > 4 * MAX_FILE_BYTES) throw new Error('too large for a plan');
    raw = JSON.parse(fs.readFileSync(filePath, 'utf8'));
  } catch (error) {
    throw new DesiredStateFileError([
      `${filePath}:1:1 (plan): cannot be read as JSON (${(error as Error).message})`,
    ]);
  }
  const parsed = desiredStatePlanSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DesiredStateFileError(formatIssues(parsed.error).map((p) => `${filePath}:1:1 ${p}`));
  }
  return parsed.data;
}

function refuseStale(saved: DesiredStatePlan, fresh: DesiredStatePlan): void {
  if (saved.instanceId !== fresh.instanceId) {
    throw new StalePlanError(
      `the saved plan was made for Marketo instance ${saved.instanceId}, not ${fresh.instanceId}; nothing was changed`,
      'apply it where it was planned (the same --data-dir or MARKETO_BASE_URL), or plan again here',
    );
  }
  const same =
    saved.fingerprint === fresh.fingerprint &&
    JSON.stringify(saved.actions) === JSON.stringify(fresh.actions);
  if (same) return;
  throw new StalePlanError(
    `the saved plan of ${saved.plannedAt} is stale: the lifecycles or Marketo's users changed since it was made; nothing was changed`,
    'run `plan -f FILE --out plan.json` again, review it, and apply the new plan',
  );
}

function refuseUnsafe(actions: PlannedAction[], allowRevocations: number): void {
  const refused = actions.filter((a) => a.kind === 'refused');
  if (refused.length) {
    throw new ApplyRefusedError(
      `the plan refuses ${refused.length} ${refused.length === 1 ? 'entry' : 'entries'}: ${refused.map((a) => `${a.email} (${a.why})`).join('; ')}; nothing was changed`,
      'fix those entries in the file; `plan -f FILE` shows where',
    );
  }
  const revocations = actions.filter((a) => a.kind === 'revoke').length;
  if (revocations > allowRevocations) {
    throw new ApplyRefusedError(
      `the plan revokes ${revocations} users, more than the ${allowRevocations} allowed; nothing was changed`,
      `check the file lost no entries by mistake; if the revocations are meant, apply with --allow-revocations ${revocations}`,
    );
  }
}

/** Applies the file (or a saved plan) under the instance's lock; refused entries or too many revocations: nothing. */
export async function applyDesiredState(
  client: LifecycleClient,
  input: { parsed: ParsedDesiredState } | { saved: DesiredStatePlan },
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const { onProgress, onPlan, ...rest } = options;
  const checked = applyOptionsSchema.safeParse(rest);
  if (!checked.success) throw new InputError(formatIssues(checked.error));
  const parsedOptions = checked.data;
  const lock = await acquireApplyLock(client.workflows, {
    instanceId: client.context.instanceId,
    taskQueue: client.context.taskQueue,
    ...(parsedOptions.lockTimeoutMs !== undefined ? { timeoutMs: parsedOptions.lockTimeoutMs } : {}),
  });
  try {
    const plan =
      'parsed' in input
        ? await planDesiredState(client, input.parsed)
        : await planFor(
            targetOf(client, input.saved.source, (path) => `${input.saved.source} ${fieldName(path)}`),
            input.saved.desired,
          );
    if ('saved' in input) refuseStale(input.saved, plan);
    onPlan?.(plan, summarize(plan.actions));
    refuseUnsafe(plan.actions, parsedOptions.allowRevocations);
    const changes = plan.actions.filter(isChange);
    const applied = await executeChanges(client, plan.desired, changes, {
      ...parsedOptions,
      ...(onProgress ? { onProgress } : {}),
    });
    return { plan, summary: summarize(plan.actions), applied };
  } finally {
    await lock.release();
  }
}
