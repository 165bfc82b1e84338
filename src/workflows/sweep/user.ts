/**
 * Judges one API-only user and acts on the judgement: the decision itself is pure (decideSweepAction in
 * src/domain/sweep-policy.ts); this adds what the sweep knows (its own user, first sightings, the lifecycles of
 * the page) and what it does (a write, or a signal to the user's lifecycle). Takes its effects as ports, so a
 * unit test drives it with plain functions, without a server.
 */
import { ActivityFailure } from '@temporalio/workflow';
import type { ManagedLifecycle, MarketoUserView, UserSummaryView } from '../../activities/types';
import {
  decideSweepAction,
  type SweepAction,
  type SweepCounts,
  type SweepLine,
  type SweepPolicy,
} from '../../domain/sweep-policy';

/** What the sweep knows about a page when it judges one of its users. */
export interface SweepUserContext {
  policy: SweepPolicy;
  dryRun: boolean;
  /** Lowercased: the orchestrator's own user, which the sweep never locks. */
  selfEmail: string;
  /** Stands in for users with no recorded first sighting (a dry run records none). */
  startedAt: string;
  firstSeenAt(userid: string): string | undefined;
  /** Since when the user made no call, from the usage ledger; undefined when maxIdle is off or cannot judge. */
  idleSince(userid: string): string | undefined;
  /** Lowercased email → the active lifecycle that manages it, as looked up for the page. */
  managed: Record<string, ManagedLifecycle>;
}

/** The sweep's effects on one user. */
export interface SweepUserPorts {
  getUser(userid: string): Promise<MarketoUserView | null>;
  setUserExpiry(userid: string, expiresAt: string): Promise<unknown>;
  currentManagedExpiry(workflowId: string): Promise<string | null>;
  /** Asks the lifecycle to correct its own user; rejects when the lifecycle has ended. */
  signalDrift(workflowId: string): Promise<void>;
  /** Asks the lifecycle to revoke itself (an idle credential); rejects when the lifecycle has ended. */
  signalRevoke(workflowId: string, reason: string): Promise<void>;
}

/** What one user adds to the report: the count it falls under and, when acted on or listed, its line. */
export interface UserOutcome {
  count: Exclude<keyof SweepCounts, 'scanned'>;
  line?: SweepLine;
  /** Judged with `maxLifetimeFrom: creation` but Marketo gave no creation date: first sight stood in. */
  noCreationDate?: true;
}

type Write = Extract<SweepAction, { kind: 'lock' | 'set-expiry' }>;
type Drift = Extract<SweepAction, { kind: 'correct-drift' }>;

export function failureMessage(error: unknown): string {
  const root = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return root instanceof Error ? root.message : String(root);
}

/** The policy's decision for `user`, given the expiry its lifecycle holds (if one manages it). */
export function judgeUser(
  user: MarketoUserView,
  userid: string,
  ctx: SweepUserContext,
  managedExpiresAt: string | undefined,
): SweepAction {
  return decideSweepAction({
    user: {
      userid: user.userid,
      email: user.emailAddress,
      isLocked: user.isLocked,
      expiresAt: user.expiresAt,
      createdAt: user.createdAt,
    },
    policy: ctx.policy,
    nowMs: Date.now(),
    managedExpiresAt,
    firstSeenAt: ctx.firstSeenAt(userid) ?? ctx.startedAt,
    isSelf: user.emailAddress.toLowerCase() === ctx.selfEmail,
    idleSince: ctx.idleSince(userid),
  });
}

/** The outcome of a decision that needs no effect (nothing to do, or only a line). */
export function outcomeWithoutEffect(
  action: Extract<SweepAction, { kind: 'compliant' | 'exempt' | 'report' | 'idle-warning' }>,
  email: string,
  dryRun: boolean,
): UserOutcome {
  if (action.kind === 'compliant') return { count: 'compliant' };
  if (action.kind === 'exempt') return { count: 'exempt' };
  if (action.kind === 'idle-warning') {
    // The warning is this line itself, delivered with the sweep's notifications (not in a dry run).
    return {
      count: 'reported',
      line: { email, action: 'idle-warning', reason: action.reason, applied: !dryRun },
    };
  }
  return { count: 'reported', line: { email, action: 'report', reason: action.reason, applied: false } };
}

/** An idle managed user: its lifecycle revokes itself, in order with its own extend and rotate. */
async function revokeByLifecycle(
  reason: string,
  email: string,
  managed: ManagedLifecycle | undefined,
  dryRun: boolean,
  ports: SweepUserPorts,
): Promise<UserOutcome> {
  if (!dryRun && managed) {
    try {
      await ports.signalRevoke(managed.workflowId, `sweep: ${reason}`.slice(0, 200));
    } catch {
      return { count: 'compliant' }; // the lifecycle ended meanwhile: its own deactivation governs the user
    }
  }
  return { count: 'locked', line: { email, action: 'revoke', reason, applied: !dryRun } };
}

function errorOutcome(email: string, error: unknown): UserOutcome {
  return { count: 'errors', line: { email, action: 'error', reason: failureMessage(error), applied: false } };
}

/** Writes the decided date (a retried write writes the same value, decided here); a dry run only lists it. */
async function write(
  action: Write,
  user: MarketoUserView,
  dryRun: boolean,
  ports: SweepUserPorts,
): Promise<UserOutcome> {
  if (!dryRun) {
    try {
      await ports.setUserExpiry(user.userid, action.expiresAt);
    } catch (error) {
      return errorOutcome(user.emailAddress, error);
    }
  }
  const { kind, reason, expiresAt } = action;
  const line: SweepLine = { email: user.emailAddress, action: kind, reason, expiresAt, applied: !dryRun };
  return { count: kind === 'lock' ? 'locked' : 'expirySet', line };
}

/**
 * The lifecycle corrects its own user, in order with its extend and revoke: a write from here could undo a
 * revoke made since the sweep started.
 */
async function correctByLifecycle(
  action: Drift,
  email: string,
  managed: ManagedLifecycle | undefined,
  dryRun: boolean,
  ports: SweepUserPorts,
): Promise<UserOutcome> {
  if (!dryRun && managed) {
    try {
      await ports.signalDrift(managed.workflowId);
    } catch {
      return { count: 'compliant' }; // the lifecycle ended meanwhile: its own deactivation governs the user
    }
  }
  const reason = `${action.reason}; its lifecycle corrects it`;
  const line: SweepLine = {
    email,
    action: 'correct-drift',
    reason,
    expiresAt: action.expiresAt,
    applied: !dryRun,
  };
  return { count: 'driftCorrected', line };
}

/**
 * Judges `user` and, on a drift, judges again with the expiry its lifecycle holds at this moment: the page's
 * lookup came first, and a lifecycle revoked or extended since has no drift to correct (a revoked user stays
 * locked and is judged by the policy alone).
 */
async function judgeWithCurrentLifecycle(
  user: MarketoUserView,
  userid: string,
  ctx: SweepUserContext,
  ports: SweepUserPorts,
): Promise<{ action: SweepAction; managed: ManagedLifecycle | undefined }> {
  let managed = ctx.managed[user.emailAddress.toLowerCase()];
  const action = judgeUser(user, userid, ctx, managed?.expiresAt);
  if (action.kind !== 'correct-drift' || !managed) return { action, managed };
  const current = await ports.currentManagedExpiry(managed.workflowId);
  managed = current === null ? undefined : { ...managed, expiresAt: current };
  return { action: judgeUser(user, userid, ctx, managed?.expiresAt), managed };
}

/** Reads one user of the page, judges it and acts: what it adds to the report. */
export async function sweepUser(
  summary: UserSummaryView,
  ctx: SweepUserContext,
  ports: SweepUserPorts,
): Promise<UserOutcome> {
  let user: MarketoUserView | null;
  try {
    user = await ports.getUser(summary.userid);
  } catch (error) {
    return errorOutcome(summary.email, error);
  }
  if (!user) return { count: 'compliant' }; // deleted between the page and the read: nothing left to enforce
  // Marketo's user record has no creation date (nor has the sandbox's): `creation` then counts from first
  // sight, as documented on the policy, and the report says for how many users it had to.
  const { policy } = ctx;
  const noCreationDate =
    policy.maxLifetimeFrom === 'creation' && policy.maxLifetimeMs !== undefined && !user.createdAt;
  const outcome = await act(user, summary.userid, ctx, ports);
  return noCreationDate ? { ...outcome, noCreationDate: true } : outcome;
}

async function act(
  user: MarketoUserView,
  userid: string,
  ctx: SweepUserContext,
  ports: SweepUserPorts,
): Promise<UserOutcome> {
  const { action, managed } = await judgeWithCurrentLifecycle(user, userid, ctx, ports);
  switch (action.kind) {
    case 'compliant':
    case 'exempt':
    case 'report':
    case 'idle-warning':
      return outcomeWithoutEffect(action, user.emailAddress, ctx.dryRun);
    case 'correct-drift':
      return correctByLifecycle(action, user.emailAddress, managed, ctx.dryRun, ports);
    case 'revoke-idle':
      return revokeByLifecycle(action.reason, user.emailAddress, managed, ctx.dryRun, ports);
    default:
      return write(action, user, ctx.dryRun, ports);
  }
}
