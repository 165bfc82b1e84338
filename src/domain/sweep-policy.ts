/**
 * The expiry policy a sweep enforces on every API-only user of an instance, and the decision for one user.
 * Pure: the sweep workflow calls `decideSweepAction` deterministically, and tests can call it directly.
 */
import { z } from 'zod';
import { durationMsSchema, MS_PER_DAY } from './durations';
import type { UsageLookup } from './usage';

/** Bounds on the exempt list, so every user's check stays cheap in the workflow task whatever the policy. */
export const MAX_EXEMPT_PATTERNS = 100;
export const MAX_EXEMPT_PATTERN_LENGTH = 254;

export const sweepPolicySchema = z
  .object({
    /** Longest access an API-only user may have, counted from `maxLifetimeFrom`. Unset: no cap. */
    maxLifetimeMs: durationMsSchema.optional(),
    /**
     * Marketo's user record has no creation date (documented user.json has none; nor has the sandbox), so
     * `creation` uses it only where an instance gives one and otherwise counts from first sight. Kept rather than
     * refused, so a policy written for an instance that does tell stays valid; the report's `noCreationDate`
     * says for how many users first sight stood in.
     */
    maxLifetimeFrom: z.enum(['first-seen', 'creation']).default('first-seen'),
    /** Users with no expiry: give them one (`set`), list them (`report`), or leave them (`off`). */
    requireExpiry: z.enum(['set', 'report', 'off']).default('report'),
    /** With `requireExpiry: set`: the expiry given is now plus this. */
    expiryGraceMs: durationMsSchema.default(7 * MS_PER_DAY),
    /** Users past their expiry that are not locked (an admin unlocked them) get locked again. */
    lockExpired: z.boolean().default(true),
    /**
     * Idle credentials, judged from the usage ledger (the daily collector): past `notifyAfterMs` without a call
     * the sweep warns, past `lockAfterMs` it locks (a managed user through its lifecycle's revoke). A user never
     * seen calling counts from the later of its first sighting and the ledger's first day. Unset: not judged.
     */
    maxIdle: z
      .object({
        lockAfterMs: durationMsSchema,
        /** Default two thirds of `lockAfterMs` (45d: warned at 30d). */
        notifyAfterMs: durationMsSchema.optional(),
      })
      .strict()
      .transform(({ lockAfterMs, notifyAfterMs }) => ({
        lockAfterMs,
        notifyAfterMs: notifyAfterMs ?? Math.floor((lockAfterMs * 2) / 3),
      }))
      .refine((idle) => idle.notifyAfterMs < idle.lockAfterMs, {
        message: 'notifyAfterMs must be shorter than lockAfterMs: the warning comes before the lock',
      })
      .optional(),
    /** Emails or patterns (`*` any run of characters, `?` one), case-insensitive. */
    exempt: z
      .array(
        z
          .string()
          .trim()
          .min(1)
          .max(
            MAX_EXEMPT_PATTERN_LENGTH,
            `at most ${MAX_EXEMPT_PATTERN_LENGTH} characters, the longest an email can be`,
          ),
      )
      .max(
        MAX_EXEMPT_PATTERNS,
        `at most ${MAX_EXEMPT_PATTERNS} patterns; cover several addresses with one, e.g. \`*@corp.example.com\``,
      )
      .default([]),
  })
  .strict();
export type SweepPolicyInput = z.input<typeof sweepPolicySchema>;
export type SweepPolicy = z.output<typeof sweepPolicySchema>;

export interface SweptUser {
  userid: string;
  email: string;
  isLocked: boolean;
  /** ISO-8601, or null when the user never expires. */
  expiresAt: string | null;
  /** Where the instance tells; Marketo's documented user record does not. */
  createdAt: string | null;
}

export type SweepAction =
  | { kind: 'exempt'; reason: string }
  | { kind: 'compliant' }
  | { kind: 'report'; reason: string }
  | { kind: 'lock'; reason: string; expiresAt: string }
  | { kind: 'set-expiry'; reason: string; expiresAt: string }
  | { kind: 'correct-drift'; reason: string; expiresAt: string }
  | { kind: 'idle-warning'; reason: string }
  | { kind: 'revoke-idle'; reason: string };

/**
 * `*@corp.example.com`, `svc-??@x.com`: a glob over the whole email, case-insensitive.
 * Patterns come from users, so no regular expression is built from one: a backtracking engine takes
 * exponential time on `*a*a*a*b`-like patterns, inside the workflow task. This matcher only ever returns to
 * the most recent `*`, which is enough for a glob, so it takes at most pattern x email steps.
 */
export function matchesExemption(email: string, pattern: string): boolean {
  return matchExemption(email, pattern).matched;
}

/**
 * `matchesExemption` with its work counted: `steps` is the number of times the loop ran, which the tests
 * bound by (email + 1) x (pattern + 1) so the time claim holds however slow or loaded the machine is.
 */
export function matchExemption(email: string, pattern: string): { matched: boolean; steps: number } {
  const text = email.toLowerCase();
  const glob = pattern.toLowerCase();
  let p = 0;
  let t = 0;
  let star = -1; // the last `*` met, where a mismatch resumes
  let resumeAt = 0; // the text position that `*` is tried against next
  let steps = 0;
  while (t < text.length) {
    steps++;
    if (p < glob.length && glob[p] === '*') {
      star = p++;
      resumeAt = t;
    } else if (p < glob.length && (glob[p] === '?' || glob[p] === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resumeAt;
    } else {
      return { matched: false, steps };
    }
  }
  while (p < glob.length && glob[p] === '*') {
    steps++;
    p++;
  }
  return { matched: p === glob.length, steps };
}

/**
 * The first-seen answer of an activity as a lookup of its own keys only: indexing the plain object would give a
 * userid such as `constructor` or `toString` a function inherited from Object.prototype instead of no date.
 */
export function firstSeenLookup(record: Record<string, string>): (userid: string) => string | undefined {
  const byUserid = new Map(Object.entries(record));
  return (userid) => byUserid.get(userid);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A ledger whose latest collection is older than this judges no one idle: with the collector stopped, every
 * user would look idle, and the sweep would lock the ones still in use.
 */
export const MAX_USAGE_LEDGER_AGE_DAYS = 3;

/**
 * Why a ledger judges no one idle, in words for the sweep's report (a security team must see that maxIdle did
 * nothing, not read a clean report); undefined when it can judge.
 */
export function idleCheckSkipped(usage: UsageLookup, nowMs: number): string | undefined {
  const fix = 'run `marketo-api-users collect-usage`, and check its daily Schedule (`schedule-usage`)';
  if (usage.coveredSince === null || usage.lastCollected === null)
    return `maxIdle judged no one: the usage ledger is empty; ${fix}`;
  const collectedMs = Date.parse(`${usage.lastCollected}T00:00:00.000Z`);
  if (nowMs - collectedMs <= (MAX_USAGE_LEDGER_AGE_DAYS + 1) * MS_PER_DAY) return undefined;
  return (
    `maxIdle judged no one: the usage ledger's last day is ${usage.lastCollected}, ` +
    `more than ${MAX_USAGE_LEDGER_AGE_DAYS} days ago; ${fix}`
  );
}

/**
 * Since when each user made no call, for maxIdle: the end of its last day with calls, else (never seen calling)
 * the later of its first sighting and the ledger's first day, since before either nothing was counted.
 * Undefined for everyone when the ledger has no collection or a stale one.
 */
export function idleSinceLookup(
  usage: UsageLookup | undefined,
  firstSeenAt: (userid: string) => string | undefined,
  nowMs: number,
): (userid: string) => string | undefined {
  if (!usage || usage.coveredSince === null || idleCheckSkipped(usage, nowMs) !== undefined)
    return () => undefined;
  const lastUsed = new Map(Object.entries(usage.lastUsed));
  const ledgerStart = `${usage.coveredSince}T00:00:00.000Z`;
  return (userid) => {
    const day = lastUsed.get(userid);
    if (day !== undefined) return iso(Date.parse(`${day}T00:00:00.000Z`) + MS_PER_DAY);
    const seen = firstSeenAt(userid);
    if (seen === undefined) return undefined;
    return Date.parse(seen) > Date.parse(ledgerStart) ? seen : ledgerStart;
  };
}

export interface SweepDecisionInput {
  user: SweptUser;
  policy: SweepPolicy;
  nowMs: number;
  /** When a running lifecycle manages this user: the expiry the workflow holds. */
  managedExpiresAt?: string | undefined;
  firstSeenAt: string;
  /** The orchestrator's own API-only user: locking it would lock the tool out. */
  isSelf: boolean;
  /** Since when the user made no call (ISO-8601); undefined when the usage ledger cannot say. */
  idleSince?: string | undefined;
}

type IdleJudgement = Extract<SweepAction, { kind: 'idle-warning' | 'lock' }> | undefined;

/** Past the lock threshold: lock; past the notice: warn, naming the day of the lock. */
function judgeIdle(policy: SweepPolicy, idleSince: string | undefined, nowMs: number): IdleJudgement {
  if (!policy.maxIdle || idleSince === undefined) return undefined;
  const { notifyAfterMs, lockAfterMs } = policy.maxIdle;
  const idleMs = nowMs - Date.parse(idleSince);
  const days = Math.floor(idleMs / MS_PER_DAY);
  const lockAt = iso(Date.parse(idleSince) + lockAfterMs);
  if (idleMs >= lockAfterMs) {
    return { kind: 'lock', reason: `idle ${days} days (no call since ${idleSince})`, expiresAt: iso(nowMs) };
  }
  if (idleMs >= notifyAfterMs) {
    return {
      kind: 'idle-warning',
      reason: `idle ${days} days (no call since ${idleSince}); locked at ${lockAt} unless it is used`,
    };
  }
  return undefined;
}

/** A managed user's idleness goes to its lifecycle (a revoke), so the lifecycle's own expiry cannot undo it. */
function managedIdle(idle: IdleJudgement): SweepAction {
  if (!idle) return { kind: 'compliant' };
  return idle.kind === 'lock' ? { kind: 'revoke-idle', reason: idle.reason } : idle;
}

export function decideSweepAction(input: SweepDecisionInput): SweepAction {
  const { user, policy, nowMs, isSelf } = input;
  if (isSelf) return { kind: 'exempt', reason: "the orchestrator's own user" };
  const exemptBy = policy.exempt.find((pattern) => matchesExemption(user.email, pattern));
  if (exemptBy) return { kind: 'exempt', reason: `exempt by ${exemptBy}` };
  const expiry = decideExpiry(input);
  if (user.isLocked || (expiry.kind !== 'compliant' && expiry.kind !== 'report')) return expiry;
  const idle = judgeIdle(policy, input.idleSince, nowMs);
  if (input.managedExpiresAt !== undefined) return managedIdle(idle);
  return idle ?? expiry;
}

/** The expiry policy alone: drift of a managed user, expired but unlocked, lifetime cap, missing expiry. */
function decideExpiry({
  user,
  policy,
  nowMs,
  managedExpiresAt,
  firstSeenAt,
}: SweepDecisionInput): SweepAction {
  const expiresAtMs = user.expiresAt === null ? null : Date.parse(user.expiresAt);
  if (managedExpiresAt !== undefined) {
    // A lifecycle owns this user: its date wins over whatever Marketo holds now.
    const wanted = Date.parse(managedExpiresAt);
    if (expiresAtMs === null || Math.abs(expiresAtMs - wanted) >= 1000) {
      return {
        kind: 'correct-drift',
        reason: `Marketo had ${user.expiresAt ?? 'no expiry'}, its lifecycle has ${iso(wanted)}`,
        expiresAt: iso(wanted),
      };
    }
    return { kind: 'compliant' };
  }

  if (expiresAtMs !== null && expiresAtMs <= nowMs) {
    if (user.isLocked) return { kind: 'compliant' };
    return policy.lockExpired
      ? { kind: 'lock', reason: `expired at ${user.expiresAt} but not locked`, expiresAt: iso(nowMs) }
      : { kind: 'report', reason: `expired at ${user.expiresAt} but not locked` };
  }

  const from = policy.maxLifetimeFrom === 'creation' && user.createdAt ? user.createdAt : firstSeenAt;
  const cap = policy.maxLifetimeMs === undefined ? undefined : Date.parse(from) + policy.maxLifetimeMs;
  if (cap !== undefined && cap <= nowMs) {
    return { kind: 'lock', reason: `past the maximum lifetime (since ${from})`, expiresAt: iso(nowMs) };
  }

  if (expiresAtMs === null) {
    if (policy.requireExpiry === 'set') {
      const target = Math.min(nowMs + policy.expiryGraceMs, cap ?? Infinity);
      return { kind: 'set-expiry', reason: 'no expiry', expiresAt: iso(target) };
    }
    if (policy.requireExpiry === 'report') return { kind: 'report', reason: 'no expiry' };
    if (cap !== undefined)
      return { kind: 'set-expiry', reason: 'no expiry, maximum lifetime', expiresAt: iso(cap) };
    return { kind: 'compliant' };
  }
  if (cap !== undefined && expiresAtMs > cap) {
    return {
      kind: 'set-expiry',
      reason: `expiry beyond the maximum lifetime (since ${from})`,
      expiresAt: iso(cap),
    };
  }
  return { kind: 'compliant' };
}

export const sweepCountsSchema = z.object({
  scanned: z.number(),
  compliant: z.number(),
  locked: z.number(),
  expirySet: z.number(),
  driftCorrected: z.number(),
  exempt: z.number(),
  reported: z.number(),
  errors: z.number(),
});
export type SweepCounts = z.infer<typeof sweepCountsSchema>;

export const sweepLineSchema = z.object({
  email: z.string(),
  action: z.enum(['lock', 'set-expiry', 'correct-drift', 'report', 'error', 'idle-warning', 'revoke']),
  reason: z.string(),
  expiresAt: z.string().optional(),
  /** False in a dry run: what would have been done. */
  applied: z.boolean(),
});
export type SweepLine = z.infer<typeof sweepLineSchema>;

export const sweepReportSchema = z.object({
  sweepId: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  policy: z.unknown(),
  counts: sweepCountsSchema,
  /** One line per user acted on (or to act on); the first `LINE_LIMIT`, the rest counted in `moreLines`. */
  lines: z.array(sweepLineSchema),
  moreLines: z.number(),
  pages: z.number(),
  /**
   * With `maxLifetimeFrom: creation` and a `maxLifetimeMs`: users Marketo gave no creation date, whose lifetime
   * was counted from the sweep's first sight of them instead.
   */
  noCreationDate: z.number().optional(),
  /** With maxIdle: why no user was judged idle (the usage ledger empty or stale), and what to do. */
  idleCheckSkipped: z.string().optional(),
  /**
   * Where every line went: `sweep-lines` notifications, numbered parts, then the `sweep-report`. A failed
   * delivery is recorded here rather than failing the sweep.
   */
  notifications: z.object({
    lineParts: z.number(),
    failedLineParts: z.number(),
    reportDelivered: z.boolean(),
    problem: z.string().optional(),
  }),
});
export type SweepReport = z.infer<typeof sweepReportSchema>;

export const SWEEP_LINE_LIMIT = 1000;
/** Lines per `sweep-lines` notification: about 150 KB, far under a payload's 2 MB. */
export const SWEEP_LINES_PER_NOTIFICATION = 1000;

export function emptyCounts(): SweepCounts {
  return {
    scanned: 0,
    compliant: 0,
    locked: 0,
    expirySet: 0,
    driftCorrected: 0,
    exempt: 0,
    reported: 0,
    errors: 0,
  };
}
