/**
 * A plan of the file against the world: the lifecycles from Temporal, a first diff to learn which users the plan
 * would act on, Marketo's side of those (one listing, through a worker), the diff again with it, and a
 * fingerprint of everything read.
 */
import { createHash } from 'node:crypto';
import { diffDesiredState } from './diff';
import type { DesiredStateFile } from './file-schema';
import type { MarketoReading } from './marketo-reading';
import { observe, type ObserveTarget } from './observe';
import type { Observation } from './observation';
import type { ParsedDesiredState } from './parse-file';
import { readMarketo, type ReadTarget } from './read-marketo';
import { isChange, type DesiredStatePlan, type PlannedAction } from './plan-schema';

/** Everything a plan's decisions depend on, in a stable order: equal fingerprints, equal plans. */
export function fingerprintOf(observation: Observation, marketo?: MarketoReading): string {
  const all = [...observation.byEmail.values(), ...observation.unlisted].sort(
    (a, b) => a.workflowId.localeCompare(b.workflowId) || Number(a.running) - Number(b.running),
  );
  const users = [...(marketo?.users ?? [])].sort((a, b) => a.email.localeCompare(b.email));
  const seen = marketo ? { selfEmail: marketo.selfEmail, users } : undefined;
  return createHash('sha256')
    .update(JSON.stringify(seen ? { all, seen } : all))
    .digest('hex');
}

/** Users whose Marketo side can change what the plan does: every change, and every possible adoption. */
const ACTING_KINDS: PlannedAction['kind'][] = ['create', 'extend', 'reassign', 'replace', 'revoke'];

export interface PlanTarget extends ObserveTarget, ReadTarget {
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
  const base = { file, observation, nowMs, locate: target.locate };
  const acting = diffDesiredState(base).filter((a) => ACTING_KINDS.includes(a.kind));
  const marketo = await readMarketo(
    target,
    acting.map((a) => a.email),
  );
  return {
    version: 1,
    instanceId: target.instanceId,
    source: target.source,
    plannedAt: new Date(nowMs).toISOString(),
    fingerprint: fingerprintOf(observation, marketo),
    desired: file,
    actions: diffDesiredState({ ...base, marketo }),
  };
}

export interface PlanSummary {
  create: number;
  adopt: number;
  extend: number;
  reassign: number;
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
    adopt: count('adopt'),
    extend: count('extend'),
    reassign: count('reassign'),
    replace: count('replace'),
    revoke: count('revoke'),
    refused: count('refused'),
    leftAlone: count('left-alone'),
    unchanged: count('no-change'),
    changes: actions.some(isChange),
  };
}
