/**
 * Enforces the expiry policy on every API-only user of the instance, including users made by hand.
 * Pages through allusers.json, judges and acts on each API-only user (./user.ts), and continues as new between
 * page batches; a crashed worker's replacement resumes from history and repeats no completed change.
 */
import {
  ApplicationFailure,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import { formatIssues } from '../../domain/lifecycle-request';
import {
  firstSeenLookup,
  idleCheckSkipped,
  idleSinceLookup,
  sweepPolicySchema,
  type SweepLine,
  type SweepReport,
} from '../../domain/sweep-policy';
import { checkDriftSignal, revokeSignal, sweepProgressQuery } from '../messages';
import { sweepActivities, type SweepActivities } from './activities';
import { carriedReportSchema, finishReport, newCarriedReport, RunReport, type ReportSubject } from './report';
import { sweepUser, type SweepUserContext, type SweepUserPorts } from './user';

export const sweepInputSchema = z.object({
  policy: sweepPolicySchema.default({
    maxLifetimeFrom: 'first-seen',
    requireExpiry: 'report',
    expiryGraceMs: 7 * 86_400_000,
    lockExpired: true,
    exempt: [],
  }),
  dryRun: z.boolean().default(false),
  pageSize: z.number().int().min(1).max(200).default(200),
  /** Pages per run before continuing as new: keeps each run's history small on large instances. */
  pagesPerRun: z.number().int().min(1).max(100).default(5),
  /** Marketo reads and writes in flight at once; the queue's rate limit paces them anyway. */
  concurrency: z.number().int().min(1).max(10).default(5),
  carried: carriedReportSchema.optional(),
});
export type SweepWorkflowInput = z.input<typeof sweepInputSchema>;
type SweepInput = z.output<typeof sweepInputSchema>;

function parseInput(rawInput: SweepWorkflowInput): SweepInput {
  const parsed = sweepInputSchema.safeParse(rawInput);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    message: `The sweep was refused before anything changed: ${formatIssues(parsed.error).join('; ')}`,
    nonRetryable: true,
  });
}

/** Runs `fn` over `items` with at most `limit` in flight, results in order. Deterministic: no timers. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function userPorts({ marketo, support }: SweepActivities): SweepUserPorts {
  return {
    getUser: (userid) => marketo.getUser(userid),
    setUserExpiry: (userid, expiresAt) => marketo.setUserExpiry(userid, expiresAt),
    currentManagedExpiry: (workflowId) => support.currentManagedExpiry(workflowId),
    signalDrift: (workflowId) => getExternalWorkflowHandle(workflowId).signal(checkDriftSignal),
    signalRevoke: (workflowId, reason) =>
      getExternalWorkflowHandle(workflowId).signal(revokeSignal, { reason, actor: 'sweep' }),
  };
}

/**
 * A change the sweep applied, in the audit log. Its id is the sweep's (workflow id and first run, kept across
 * continue-as-new) plus the user, whom one sweep judges once: a retried append stores once. Never rejects.
 */
function auditAction(acts: SweepActivities, line: SweepLine): Promise<void> {
  const info = workflowInfo();
  const event = {
    id: `${info.workflowId}/${info.firstExecutionRunId}/${line.email.toLowerCase()}`,
    at: new Date().toISOString(),
    kind: 'sweep-action' as const,
    email: line.email.toLowerCase(),
    workflowId: info.workflowId,
    actor: 'sweep',
    reason: line.reason.slice(0, 1000),
    detail: { action: line.action, expiresAt: line.expiresAt ?? null },
  };
  return acts.auditor.appendAuditEvent(event).catch(() => undefined);
}

/** Sweeps the page at `run.carried.pageOffset`; returns how many users it listed. */
async function sweepPage(
  input: SweepInput,
  run: RunReport,
  acts: SweepActivities,
  selfEmail: string,
): Promise<number> {
  const { marketo, support } = acts;
  const page = await marketo.listUsersPage(run.carried.pageOffset, input.pageSize);
  const apiOnly = page.filter((u) => u.apiOnly);
  if (!apiOnly.length) return page.length;
  const userids = apiOnly.map((u) => u.userid);
  // A dry run records no first sighting: that record starts the maxLifetime clock, and a dry run changes nothing.
  const firstSeen = input.dryRun
    ? await support.firstSeenOf(userids)
    : await support.recordFirstSeen(userids, new Date().toISOString());
  // Looked up for the page's users only: one payload for every lifecycle would outgrow the 2 MB limit.
  const managed = await support.managedLifecyclesOf(apiOnly.map((u) => u.email));
  // Only with maxIdle: a sweep without it makes exactly the calls it made before the policy existed.
  const usage = input.policy.maxIdle ? await support.usageOfUsers(userids) : undefined;
  const firstSeenAt = firstSeenLookup(firstSeen);
  if (usage) run.carried.idleCheckSkipped ??= idleCheckSkipped(usage, Date.now());
  const ctx: SweepUserContext = {
    policy: input.policy,
    dryRun: input.dryRun,
    selfEmail,
    startedAt: run.carried.startedAt,
    firstSeenAt,
    idleSince: idleSinceLookup(usage, firstSeenAt, Date.now()),
    managed,
  };
  const ports = userPorts(acts);
  // Not awaited per user: the page's Marketo calls go on while the audit events are stored.
  const audits: Promise<void>[] = [];
  await mapLimit(apiOnly, input.concurrency, async (summary) => {
    run.scanning();
    const outcome = await sweepUser(summary, ctx, ports);
    run.record(outcome);
    if (outcome.line?.applied) audits.push(auditAction(acts, outcome.line));
  });
  await Promise.all(audits);
  return page.length;
}

export async function sweepWorkflow(rawInput: SweepWorkflowInput): Promise<SweepReport> {
  const input = parseInput(rawInput);
  const info = workflowInfo();
  const acts = sweepActivities(info.taskQueue);
  const carried = input.carried ?? newCarriedReport(new Date().toISOString());
  const subject: ReportSubject = { workflowId: info.workflowId, dryRun: input.dryRun, policy: input.policy };
  let done = false;
  setHandler(sweepProgressQuery, () => ({
    pages: carried.pages,
    pageOffset: carried.pageOffset,
    counts: carried.counts,
    dryRun: input.dryRun,
    done,
  }));
  const run = new RunReport(carried);
  const { selfEmail } = await acts.support.getSweepContext();
  for (let batch = 0; batch < input.pagesPerRun && !done; batch++) {
    const listed = await sweepPage(input, run, acts, selfEmail.toLowerCase());
    carried.pages += 1;
    carried.pageOffset += listed;
    if (listed < input.pageSize) done = true;
  }
  await run.notifyLines(acts.notifier, subject);
  if (!done) return continueAsNew<typeof sweepWorkflow>({ ...rawInput, carried });
  return finishReport(acts.notifier, carried, subject);
}
