/**
 * The plan's decisions, pure: one desired entry against its lifecycle as observed, and each running lifecycle
 * an apply started that the file no longer names. No I/O, so every rule has a unit test without a server.
 */
import {
  expiryProblems,
  lifetimeFloorProblems,
  toWholeSecond,
  type LifecyclePolicy,
} from '../domain/lifecycle-request';
import { formatDuration, formatOptionalDuration } from '../domain/durations';
import { samePermissions } from '../domain/permissions';
import { matchesExemption } from '../domain/sweep-policy';
import { adoptChanges, operatorStepsFor, protectedInMarketo, userSeen } from './diff-marketo';
import type { DesiredStateFile, DesiredUser } from './file-schema';
import type { MarketoReading, MarketoUserSeen } from './marketo-reading';
import type { ObservedLifecycle, Observation } from './observation';
import type { PlannedAction } from './plan-schema';

export interface DiffInput {
  file: DesiredStateFile;
  observation: Observation;
  nowMs: number;
  /** `file:line:column field` of a path in the file, for refusals. */
  locate(path: (string | number)[]): string;
  /** Marketo's side; without it no entry is adopted and no protection is looked up (a first, cheap pass). */
  marketo?: MarketoReading;
}

const iso = (ms: number) => new Date(ms).toISOString();

const protectedBy = (file: DesiredStateFile, email: string) =>
  file.protected.find((pattern) => matchesExemption(email, pattern));

/** The expiry the entry asks for; undefined for a first apply of a `lifetime` (it counts from the apply). */
function wantedExpiry(entry: DesiredUser, anchor: string | undefined): string | undefined {
  if (entry.expiresAt !== undefined) return toWholeSecond(entry.expiresAt);
  return anchor === undefined ? undefined : toWholeSecond(iso(Date.parse(anchor) + entry.lifetime!));
}

type RunningRequest = NonNullable<ObservedLifecycle['request']>;

/**
 * What differs in names, role, service or policy: none can change in place, so they take a new lifecycle. The
 * reason is not compared: it is the audit log's note of why the user was first created. The owner and ticket
 * change in place (see ownerChanges).
 */
export function inPlaceImpossibleChanges(entry: DesiredUser, running: RunningRequest): string[] {
  const changes: string[] = [];
  const text = (field: string, was: string | number | undefined, now: string | number | undefined) => {
    if (was !== now) changes.push(`${field} ${JSON.stringify(was)} → ${JSON.stringify(now)}`);
  };
  text('firstName', running.firstName, entry.firstName);
  text('lastName', running.lastName, entry.lastName);
  // Marketo finds roles by name without regard to case, and so does the lifecycle.
  if (running.role.name.toLowerCase() !== entry.role.name.toLowerCase())
    text('role.name', running.role.name, entry.role.name);
  if (!samePermissions(running.role.permissions, entry.role.permissions)) {
    changes.push(
      `role.permissions ${JSON.stringify(running.role.permissions)} → ${JSON.stringify(entry.role.permissions)}`,
    );
  }
  text('role.workspace', running.role.workspace, entry.role.workspace);
  text('service.displayName', running.service.displayName, entry.service.displayName);
  text('service.description', running.service.description, entry.service.description);
  for (const key of Object.keys(entry.policy) as (keyof LifecyclePolicy)[]) {
    text(
      `policy.${key}`,
      formatOptionalDuration(running.policy[key]),
      formatOptionalDuration(entry.policy[key]),
    );
  }
  return changes;
}

function expiryRefusal(expiresAt: string, nowMs: number, createdAtMs: number, policy: LifecyclePolicy) {
  const problems = [
    ...expiryProblems(expiresAt, nowMs, createdAtMs, policy),
    ...lifetimeFloorProblems(expiresAt, nowMs),
  ];
  return problems.length ? problems.map((p) => p.replace(/^expiresAt: /, '')).join('; ') : undefined;
}

function planCreate(
  entry: DesiredUser,
  index: number,
  seen: ObservedLifecycle | undefined,
  input: DiffInput,
) {
  const anchor = seen?.marker?.firstAppliedAt;
  const expiresAt = wantedExpiry(entry, anchor);
  const field = entry.expiresAt !== undefined ? 'expiresAt' : 'lifetime';
  const at = input.locate(['users', index, field]);
  if (expiresAt !== undefined && seen && Date.parse(expiresAt) <= input.nowMs) {
    const why = `its lifecycle ended and the expiry the file gives (${expiresAt}) has passed; remove the entry, or give a later expiresAt`;
    return { kind: 'left-alone', email: entry.email, why } as const;
  }
  const refusal = expiresAt && expiryRefusal(expiresAt, input.nowMs, input.nowMs, entry.policy);
  if (refusal) return { kind: 'refused', email: entry.email, at, why: refusal } as const;
  const ended = seen ? ` (its previous lifecycle ended: the new one takes back its locked user)` : '';
  return {
    kind: 'create',
    email: entry.email,
    entry: index,
    ...(expiresAt !== undefined ? { expiresAt } : { lifetimeMs: entry.lifetime! }),
    ...(anchor !== undefined ? { firstAppliedAt: anchor } : {}),
    why: `${expiresAt ? `until ${expiresAt}` : `for ${formatDuration(entry.lifetime!)} from this apply`}${ended}`,
  } as const;
}

/** A running lifecycle an apply started and that is active, with what its status and request said. */
type Running = ObservedLifecycle & {
  marker: NonNullable<ObservedLifecycle['marker']>;
  request: NonNullable<ObservedLifecycle['request']>;
  expiresAt: string;
  createdAt: string;
};

const SHORTEN_WHY =
  'a lifecycle never moves its expiry earlier; keep the later expiry, or remove the entry to revoke the user now';

function planExpiry(entry: DesiredUser, index: number, seen: Running, input: DiffInput): PlannedAction {
  const wanted = wantedExpiry(entry, seen.marker.firstAppliedAt)!;
  const current = toWholeSecond(seen.expiresAt);
  if (wanted === current) return { kind: 'no-change', email: entry.email };
  const at = input.locate(['users', index, entry.expiresAt !== undefined ? 'expiresAt' : 'lifetime']);
  if (Date.parse(wanted) < Date.parse(current)) {
    return { kind: 'refused', email: entry.email, at, why: `shorten ${current} → ${wanted}: ${SHORTEN_WHY}` };
  }
  const policy = seen.request.policy;
  const refusal = expiryRefusal(wanted, input.nowMs, Date.parse(seen.createdAt), policy);
  if (refusal) return { kind: 'refused', email: entry.email, at, why: `extend to ${wanted}: ${refusal}` };
  return {
    kind: 'extend',
    email: entry.email,
    workflowId: seen.workflowId,
    from: current,
    to: wanted,
    why: 'the file gives a later expiry',
  };
}

type Reassignment = Pick<Extract<PlannedAction, { kind: 'reassign' }>, 'owner' | 'ticket'>;

/** The owner and ticket the file gives against the lifecycle's: each a reassignment in place, never a new service. */
export function ownerChanges(entry: DesiredUser, running: RunningRequest): Reassignment {
  const change = (was: string | undefined, now: string | undefined) =>
    was === now ? undefined : { from: was ?? null, to: now ?? null };
  const owner = change(running.owner, entry.owner);
  const ticket = change(running.ticket, entry.ticket);
  return { ...(owner ? { owner } : {}), ...(ticket ? { ticket } : {}) };
}

function reassignmentLines({ owner, ticket }: Reassignment): string[] {
  const line = (field: string, c: { from: string | null; to: string | null }) =>
    `${field} ${JSON.stringify(c.from ?? undefined)} → ${JSON.stringify(c.to ?? undefined)}`;
  return [...(owner ? [line('owner', owner)] : []), ...(ticket ? [line('ticket', ticket)] : [])];
}

/** The expiry's action, with a new owner or ticket folded in: one action per user. */
function withReassignment(expiry: PlannedAction, seen: Running, changes: Reassignment): PlannedAction {
  if (!changes.owner && !changes.ticket) return expiry;
  if (expiry.kind === 'refused')
    return {
      ...expiry,
      why: `${expiry.why} (the file also asks for ${reassignmentLines(changes).join(', ')})`,
    };
  return {
    kind: 'reassign',
    email: expiry.email,
    workflowId: seen.workflowId,
    ...changes,
    ...(expiry.kind === 'extend' ? { extend: { from: expiry.from, to: expiry.to } } : {}),
    why: 'who vouches for the access changes in place: the user, its service and its credentials stay',
  };
}

function planRunning(entry: DesiredUser, index: number, seen: ObservedLifecycle, input: DiffInput) {
  const email = entry.email;
  if (!seen.marker) {
    const why =
      'its lifecycle was started outside apply (by onboard): apply never changes or revokes it; revoke it, then apply, to hand it to this file';
    return { kind: 'left-alone', email, why } as const;
  }
  if (seen.phase !== 'active' || !seen.request || !seen.expiresAt || !seen.createdAt) {
    const why = `its lifecycle is ${seen.phase}, not active yet: apply changes nothing until it is`;
    return { kind: 'left-alone', email, why } as const;
  }
  const running = seen as Running;
  const reassignment = ownerChanges(entry, running.request);
  const impossible = inPlaceImpossibleChanges(entry, running.request);
  if (!impossible.length)
    return withReassignment(planExpiry(entry, index, running, input), running, reassignment);
  // A new lifecycle takes the file's owner and ticket too: listed beside what made it necessary.
  const changes = [...impossible, ...reassignmentLines(reassignment)];
  const expiresAt = wantedExpiry(entry, running.marker.firstAppliedAt)!;
  const refusal = expiryRefusal(expiresAt, input.nowMs, input.nowMs, entry.policy);
  const at = input.locate(['users', index]);
  if (refusal)
    return {
      kind: 'refused',
      email,
      at,
      why: `${changes.join(', ')} with expiry ${expiresAt}: ${refusal}`,
    } as const;
  return {
    kind: 'replace',
    email,
    entry: index,
    workflowId: running.workflowId,
    changes,
    expiresAt,
    firstAppliedAt: running.marker.firstAppliedAt,
    why: 'names, role, service and policy cannot change in place: revoke, then onboard again (a new custom service and new credentials; the Marketo user is taken back)',
  } as const;
}

function planAdopt(entry: DesiredUser, index: number, user: MarketoUserSeen, input: DiffInput) {
  const email = entry.email;
  if (!user.detail) {
    const why = `a Marketo user who is not API-only (${user.userid}) has this email: this product manages API-only users only; use another email`;
    return { kind: 'refused', email, at: input.locate(['users', index, 'email']), why } as const;
  }
  const expiresAt = wantedExpiry(entry, undefined);
  const refusal = expiresAt && expiryRefusal(expiresAt, input.nowMs, input.nowMs, entry.policy);
  if (refusal) {
    const at = input.locate(['users', index, 'expiresAt']);
    return { kind: 'refused', email, at, why: refusal } as const;
  }
  const marketoUserId = user.detail.id;
  return {
    kind: 'adopt',
    email,
    entry: index,
    marketoUserId,
    ...(expiresAt !== undefined ? { expiresAt } : { lifetimeMs: entry.lifetime! }),
    changes: adoptChanges(input.marketo!, user, entry, expiresAt),
    why: `a hand-made API-only user (Marketo id ${marketoUserId}) that no lifecycle manages: a lifecycle takes it over; apply refuses it if by then the email names another user`,
  } as const;
}

function planUnlisted(seen: ObservedLifecycle, input: DiffInput): PlannedAction {
  const email = seen.email;
  if (!seen.marker)
    return { kind: 'left-alone', email, why: 'not in the file, and started outside apply (by onboard)' };
  const pattern = protectedBy(input.file, email);
  if (pattern) return { kind: 'left-alone', email, why: `not in the file, but protected by ${pattern}` };
  const found = input.marketo && protectedInMarketo(input.marketo, email);
  if (found) return { kind: 'left-alone', email, why: `not in the file, but ${found}: never revoked` };
  return {
    kind: 'revoke',
    email,
    workflowId: seen.workflowId,
    why: 'removed from the file: its user is locked, never deleted',
  };
}

function planEntry(entry: DesiredUser, index: number, input: DiffInput): PlannedAction {
  const { file, observation, marketo } = input;
  const at = input.locate(['users', index, 'email']);
  const pattern = protectedBy(file, entry.email);
  if (pattern) {
    const why = `is protected by ${pattern}: no apply creates, changes or revokes it; remove the entry or the pattern`;
    return { kind: 'refused', email: entry.email, at, why };
  }
  const found = marketo && protectedInMarketo(marketo, entry.email);
  if (found) {
    const why = `${found}: no apply creates, adopts, changes or revokes it; remove the entry`;
    return { kind: 'refused', email: entry.email, at, why };
  }
  const seen = observation.byEmail.get(entry.email);
  if (seen?.running) return planRunning(entry, index, seen, input);
  // A lifecycle that ended left its user behind: the new one takes it back (create), which is no adoption.
  const handMade = !seen && marketo ? userSeen(marketo, entry.email) : undefined;
  return handMade ? planAdopt(entry, index, handMade, input) : planCreate(entry, index, seen, input);
}

function withOperatorSteps(action: PlannedAction, entry: DesiredUser, marketo: MarketoReading | undefined) {
  const steps = marketo ? operatorStepsFor(marketo, entry, action.kind) : [];
  return steps.length ? { ...action, operatorSteps: steps } : action;
}

/** Every action, in file order, then the revocations and the lifecycles left alone that the file does not name. */
export function diffDesiredState(input: DiffInput): PlannedAction[] {
  const actions = input.file.users.map((entry, index) =>
    withOperatorSteps(planEntry(entry, index, input), entry, input.marketo),
  );
  return [...actions, ...input.observation.unlisted.map((seen) => planUnlisted(seen, input))];
}
