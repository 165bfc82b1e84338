/**
 * Enforces the expiry policy on every API-only user of the instance, including users made by hand.
 * Pages through allusers.json, reads each API-only user, decides (pure, in src/domain/sweep-policy.ts) and
 * applies. Every Marketo touch is a one-call activity on the Marketo queue, so the sweep stays inside the call
 * budget shared with every lifecycle. Continues as new between page batches; a crashed worker's replacement
 * resumes from history and repeats no completed change.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  uuid4,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { ManagedLifecycle, MarketoActivities, SupportActivities } from '../activities/types';
import { formatIssues } from '../domain/lifecycle-request';
import {
  decideSweepAction,
  emptyCounts,
  firstSeenLookup,
  SWEEP_LINE_LIMIT,
  SWEEP_LINES_PER_NOTIFICATION,
  sweepCountsSchema,
  sweepLineSchema,
  sweepPolicySchema,
  type SweepLine,
  type SweepReport,
} from '../domain/sweep-policy';
import { MARKETO_QUEUE_SUFFIX, notificationOptions } from './lifecycle';
import { checkDriftSignal, sweepProgressQuery } from './messages';

/** How long each sweep notification is retried before the report lists it as not delivered. */
const SWEEP_NOTIFY_DEADLINE_MS = 5 * 60 * 1000;

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
  carried: z
    .object({
      startedAt: z.string(),
      pageOffset: z.number().int().min(0),
      pages: z.number().int().min(0),
      counts: sweepCountsSchema,
      lines: z.array(sweepLineSchema),
      moreLines: z.number().int().min(0),
      /** Absent in runs carried before these were kept. */
      noCreationDate: z.number().int().min(0).default(0),
      lineParts: z.number().int().min(0).default(0),
      failedLineParts: z.number().int().min(0).default(0),
    })
    .optional(),
});
export type SweepWorkflowInput = z.input<typeof sweepInputSchema>;

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

function failureMessage(error: unknown): string {
  const root = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return root instanceof Error ? root.message : String(root);
}

export async function sweepWorkflow(rawInput: SweepWorkflowInput): Promise<SweepReport> {
  const parsed = sweepInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `The sweep was refused before anything changed: ${formatIssues(parsed.error).join('; ')}`,
      nonRetryable: true,
    });
  }
  const input = parsed.data;
  const { policy, dryRun } = input;
  const info = workflowInfo();
  const retry = {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 6,
  };
  // The workers heartbeat every 5 s while a call is in flight (src/activities/heartbeat.ts): an attempt held by
  // a dead worker is retried after 20 s instead of 2 minutes. 20 s leaves room for three missed beats and for
  // slow Marketo answers, which keep beating however long they take.
  const timeouts = { startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds' } as const;
  const marketo = proxyActivities<MarketoActivities>({
    taskQueue: `${info.taskQueue}${MARKETO_QUEUE_SUFFIX}`,
    ...timeouts,
    retry,
  });
  const support = proxyActivities<SupportActivities>({ ...timeouts, retry });
  // Retried until delivered for a few minutes each, under one event id: a sweep must still end when the
  // webhook is down (what was not delivered is listed in its report).
  const notifier = proxyActivities<SupportActivities>(notificationOptions(SWEEP_NOTIFY_DEADLINE_MS));

  const carried = input.carried ?? {
    startedAt: new Date().toISOString(),
    pageOffset: 0,
    pages: 0,
    counts: emptyCounts(),
    lines: [],
    moreLines: 0,
    noCreationDate: 0,
    lineParts: 0,
    failedLineParts: 0,
  };
  const { counts } = carried;
  let done = false;
  setHandler(sweepProgressQuery, () => ({
    pages: carried.pages,
    pageOffset: carried.pageOffset,
    counts,
    dryRun,
    done,
  }));
  // Every line of this run, uncapped: sent to the notifications before the run ends, so a report capped at
  // SWEEP_LINE_LIMIT lines still has every line somewhere. Never carried across runs (history stays small).
  const runLines: SweepLine[] = [];
  const addLine = (line: SweepLine) => {
    runLines.push(line);
    if (carried.lines.length < SWEEP_LINE_LIMIT) carried.lines.push(line);
    else carried.moreLines += 1;
  };

  // Since this patch a drifted managed user is corrected by its own lifecycle (signalled), not written here;
  // sweeps that ran before it replay with their writes.
  const driftBySignal = patched('correct-drift-by-signal');
  // Since this patch the lifecycles are looked up page by page, for the page's users only: listing every
  // lifecycle at each run's start put all of them in one payload (the 2 MB limit at about 15,000).
  const managedPerPage = patched('managed-lookup-per-page');
  const context = managedPerPage
    ? await support.getSweepContext({ managed: false })
    : await support.getSweepContext();
  const selfEmail = context.selfEmail.toLowerCase();
  // Since this patch a dry run records no first sighting: that record starts the maxLifetime clock, and a dry
  // run changes nothing.
  const dryRunRecordsNothing = patched('dry-run-records-no-first-seen');
  // Since this patch every line reaches the notifications and a failed notification is in the report.
  const linesNotified = patched('sweep-lines-notified');
  const countsNoCreationDate = policy.maxLifetimeFrom === 'creation' && policy.maxLifetimeMs !== undefined;

  for (let batch = 0; batch < input.pagesPerRun && !done; batch++) {
    const page = await marketo.listUsersPage(carried.pageOffset, input.pageSize);
    const apiOnly = page.filter((u) => u.apiOnly);
    const userids = apiOnly.map((u) => u.userid);
    const firstSeenAt = firstSeenLookup(
      !apiOnly.length
        ? {}
        : dryRun && dryRunRecordsNothing
          ? await support.firstSeenOf(userids)
          : await support.recordFirstSeen(userids, new Date().toISOString()),
    );
    const pageManaged =
      managedPerPage && apiOnly.length
        ? await support.managedLifecyclesOf(apiOnly.map((u) => u.email))
        : context.managed;
    await mapLimit(apiOnly, input.concurrency, async (summary) => {
      counts.scanned += 1;
      let user;
      try {
        user = await marketo.getUser(summary.userid);
      } catch (error) {
        counts.errors += 1;
        addLine({ email: summary.email, action: 'error', reason: failureMessage(error), applied: false });
        return;
      }
      if (!user) {
        counts.compliant += 1; // deleted between the page and the read: nothing left to enforce
        return;
      }
      // Context recorded before lifecycles carried their workflow id held the expiry alone.
      const recorded = pageManaged[user.emailAddress.toLowerCase()] as ManagedLifecycle | string | undefined;
      let managed = typeof recorded === 'string' ? { workflowId: '', expiresAt: recorded } : recorded;
      const decide = (managedExpiresAt: string | undefined) =>
        decideSweepAction({
          user: {
            userid: user.userid,
            email: user.emailAddress,
            isLocked: user.isLocked,
            expiresAt: user.expiresAt,
            createdAt: user.createdAt,
          },
          policy,
          nowMs: Date.now(),
          managedExpiresAt,
          firstSeenAt: firstSeenAt(summary.userid) ?? carried.startedAt,
          isSelf: user.emailAddress.toLowerCase() === selfEmail,
        });
      // Marketo's user record has no creation date (nor has the sandbox's): `creation` then counts from first
      // sight, as documented on the policy, and the report says for how many users it had to.
      if (countsNoCreationDate && !user.createdAt) carried.noCreationDate += 1;
      let decided = decide(managed?.expiresAt);
      // The lifecycles were listed when this run started; one revoked or extended since has no drift to correct.
      // Asked again just before acting: a revoked user stays locked and is judged by the policy alone.
      if (
        decided.kind === 'correct-drift' &&
        managed?.workflowId &&
        patched('drift-rechecked-with-lifecycle')
      ) {
        const current = await support.currentManagedExpiry(managed.workflowId);
        if (current === null) managed = undefined;
        else managed = { ...managed, expiresAt: current };
        decided = decide(managed?.expiresAt);
      }
      // Writes the decided date (a retried write writes the same value, decided here).
      const writeHere = async (
        action: Exclude<typeof decided, { kind: 'compliant' | 'exempt' | 'report' }>,
      ) => {
        if (!dryRun) {
          try {
            // The target date is decided here, so a retried write writes the same value.
            await marketo.setUserExpiry(user.userid, action.expiresAt);
          } catch (error) {
            counts.errors += 1;
            addLine({
              email: user.emailAddress,
              action: 'error',
              reason: failureMessage(error),
              applied: false,
            });
            return;
          }
        }
        if (action.kind === 'lock') counts.locked += 1;
        else if (action.kind === 'set-expiry') counts.expirySet += 1;
        else counts.driftCorrected += 1;
        addLine({
          email: user.emailAddress,
          action: action.kind,
          reason: action.reason,
          expiresAt: action.expiresAt,
          applied: !dryRun,
        });
      };
      const action = decided;
      switch (action.kind) {
        case 'compliant':
          counts.compliant += 1;
          return;
        case 'exempt':
          counts.exempt += 1;
          return;
        case 'report':
          counts.reported += 1;
          addLine({ email: user.emailAddress, action: 'report', reason: action.reason, applied: false });
          return;
        case 'correct-drift': {
          if (!driftBySignal) return writeHere(action);
          if (!dryRun && managed) {
            // The lifecycle corrects its own user, in order with its extend and revoke: a write from here could
            // undo a revoke made since the sweep started.
            try {
              await getExternalWorkflowHandle(managed.workflowId).signal(checkDriftSignal);
            } catch {
              counts.compliant += 1; // the lifecycle ended meanwhile: its own deactivation governs the user
              return;
            }
          }
          counts.driftCorrected += 1;
          addLine({
            email: user.emailAddress,
            action: 'correct-drift',
            reason: `${action.reason}; its lifecycle corrects it`,
            expiresAt: action.expiresAt,
            applied: !dryRun,
          });
          return;
        }
        default:
          return writeHere(action);
      }
    });
    carried.pages += 1;
    carried.pageOffset += page.length;
    if (page.length < input.pageSize) done = true;
  }

  if (linesNotified && runLines.length) {
    // Parts small enough for one payload each (a line is about 150 bytes), numbered across the whole sweep.
    for (let start = 0; start < runLines.length; start += SWEEP_LINES_PER_NOTIFICATION) {
      carried.lineParts += 1;
      const lines = runLines.slice(start, start + SWEEP_LINES_PER_NOTIFICATION);
      try {
        await notifier.notify({
          kind: 'sweep-lines',
          workflowId: info.workflowId,
          eventId: uuid4(),
          at: new Date().toISOString(),
          message: `${dryRun ? 'Dry-run sweep' : 'Sweep'}: part ${carried.lineParts} of its report, ${lines.length} users`,
          details: { part: carried.lineParts, dryRun, lines },
        });
      } catch {
        carried.failedLineParts += 1; // counted in the report: the sweep itself goes on
      }
    }
  }

  if (!done) return continueAsNew<typeof sweepWorkflow>({ ...rawInput, carried });

  const report: SweepReport = {
    sweepId: info.workflowId,
    dryRun,
    startedAt: carried.startedAt,
    finishedAt: new Date().toISOString(),
    policy,
    counts,
    lines: carried.lines,
    moreLines: carried.moreLines,
    pages: carried.pages,
    ...(countsNoCreationDate ? { noCreationDate: carried.noCreationDate } : {}),
  };
  const acted = counts.locked + counts.expirySet + counts.driftCorrected;
  const notifyReport = notifier.notify({
    kind: 'sweep-report',
    workflowId: info.workflowId,
    eventId: uuid4(),
    at: report.finishedAt,
    message:
      `${dryRun ? 'Dry-run sweep' : 'Sweep'}: ${counts.scanned} API-only users scanned, ${acted} ${dryRun ? 'to act on' : 'acted on'}, ` +
      `${counts.reported} reported, ${counts.errors} errors`,
    details: linesNotified
      ? { counts, dryRun, lineParts: carried.lineParts, failedLineParts: carried.failedLineParts }
      : { counts, dryRun },
  });
  if (!linesNotified) {
    await notifyReport.catch(() => undefined);
    return report;
  }
  let reportProblem: string | undefined;
  await notifyReport.catch((error: unknown) => {
    reportProblem = failureMessage(error);
  });
  return {
    ...report,
    notifications: {
      lineParts: carried.lineParts,
      failedLineParts: carried.failedLineParts,
      reportDelivered: reportProblem === undefined,
      ...(reportProblem !== undefined ? { problem: reportProblem } : {}),
    },
  };
}
