/** A plan of the file against the world: observe, diff, and a fingerprint of what was observed. */
import { createHash } from 'node:crypto';
import { diffDesiredState } from './diff';
import type { DesiredStateFile } from './file-schema';
import { observe, type ObserveTarget } from './observe';
import type { Observation } from './observation';
import type { ParsedDesiredState } from './parse-file';
import { isChange, type DesiredStatePlan, type PlannedAction } from './plan-schema';

/** Everything a plan's decisions depend on, in a stable order: equal fingerprints, equal plans. */
export function fingerprintOf(observation: Observation): string {
  const all = [...observation.byEmail.values(), ...observation.unlisted].sort(
    (a, b) => a.workflowId.localeCompare(b.workflowId) || Number(a.running) - Number(b.running),
  );
  return createHash('sha256').update(JSON.stringify(all)).digest('hex');
}

export interface PlanTarget extends ObserveTarget {
  source: string;
  locate: ParsedDesiredState['locate'];
}

export async function planFor(
  target: PlanTarget,
  file: DesiredStateFile,
  nowMs = Date.now(),
): Promise<DesiredStatePlan> {
  const observation = await observe(
    target,
    file.users.map((u) => u.email),
  );
  return {
    version: 1,
    instanceId: target.instanceId,
    source: target.source,
    plannedAt: new Date(nowMs).toISOString(),
    fingerprint: fingerprintOf(observation),
    desired: file,
    actions: diffDesiredState({ file, observation, nowMs, locate: target.locate }),
  };
}

export interface PlanSummary {
  create: number;
  extend: number;
  replace: number;
  revoke: number;
  refused: number;
  leftAlone: number;
  unchanged: number;
  /** Something would change: plan exits with EXIT_CHANGES_PENDING. */
  changes: boolean;
}

export function summarize(actions: PlannedAction[]): PlanSummary {
  const count = (kind: PlannedAction['kind']) => actions.filter((a) => a.kind === kind).length;
  return {
    create: count('create'),
    extend: count('extend'),
    replace: count('replace'),
    revoke: count('revoke'),
    refused: count('refused'),
    leftAlone: count('left-alone'),
    unchanged: count('no-change'),
    changes: actions.some(isChange),
  };
}
