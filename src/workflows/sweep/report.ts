/**
 * The sweep's report: counts and lines carried from run to run, every line of a run sent to the notifications
 * in numbered parts, and the final report with its `sweep-report` notification.
 */
import { uuid4 } from '@temporalio/workflow';
import { z } from 'zod';
import {
  emptyCounts,
  SWEEP_LINE_LIMIT,
  SWEEP_LINES_PER_NOTIFICATION,
  sweepCountsSchema,
  sweepLineSchema,
  type SweepLine,
  type SweepPolicy,
  type SweepReport,
} from '../../domain/sweep-policy';
import type { SweepActivities } from './activities';
import { failureMessage, type UserOutcome } from './user';

/** What one run hands the next when it continues as new: where the pages stand and the report so far. */
export const carriedReportSchema = z.object({
  startedAt: z.string(),
  pageOffset: z.number().int().min(0),
  pages: z.number().int().min(0),
  counts: sweepCountsSchema,
  lines: z.array(sweepLineSchema),
  moreLines: z.number().int().min(0),
  noCreationDate: z.number().int().min(0),
  lineParts: z.number().int().min(0),
  failedLineParts: z.number().int().min(0),
  /** Set by the first page whose usage ledger could not judge idleness (see idleCheckSkipped). */
  idleCheckSkipped: z.string().optional(),
});
export type CarriedReport = z.output<typeof carriedReportSchema>;

export function newCarriedReport(startedAt: string): CarriedReport {
  return {
    startedAt,
    pageOffset: 0,
    pages: 0,
    counts: emptyCounts(),
    lines: [],
    moreLines: 0,
    noCreationDate: 0,
    lineParts: 0,
    failedLineParts: 0,
  };
}

/** Who the report's notifications are about and how they read. */
export interface ReportSubject {
  workflowId: string;
  dryRun: boolean;
  policy: SweepPolicy;
}

/** One run's share of the report. */
export class RunReport {
  /**
   * Every line of this run, uncapped: sent to the notifications before the run ends, so a report capped at
   * SWEEP_LINE_LIMIT lines still has every line somewhere. Never carried across runs (history stays small).
   */
  readonly runLines: SweepLine[] = [];

  constructor(readonly carried: CarriedReport) {}

  /** Counts a user as scanned as soon as its read starts, so progress shows users in flight. */
  scanning(): void {
    this.carried.counts.scanned += 1;
  }

  record(outcome: UserOutcome): void {
    this.carried.counts[outcome.count] += 1;
    if (outcome.noCreationDate) this.carried.noCreationDate += 1;
    if (outcome.line) this.addLine(outcome.line);
  }

  private addLine(line: SweepLine): void {
    this.runLines.push(line);
    if (this.carried.lines.length < SWEEP_LINE_LIMIT) this.carried.lines.push(line);
    else this.carried.moreLines += 1;
  }

  /** Parts small enough for one payload each (a line is about 150 bytes), numbered across the whole sweep. */
  async notifyLines(
    { notify }: SweepActivities['notifier'],
    { workflowId, dryRun }: ReportSubject,
  ): Promise<void> {
    const { carried, runLines } = this;
    for (let start = 0; start < runLines.length; start += SWEEP_LINES_PER_NOTIFICATION) {
      carried.lineParts += 1;
      const lines = runLines.slice(start, start + SWEEP_LINES_PER_NOTIFICATION);
      try {
        await notify({
          kind: 'sweep-lines',
          workflowId,
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
}

/** The last run's report, after its `sweep-report` notification; a failed delivery is listed, not thrown. */
export async function finishReport(
  { notify }: SweepActivities['notifier'],
  carried: CarriedReport,
  { workflowId, dryRun, policy }: ReportSubject,
): Promise<SweepReport> {
  const { counts } = carried;
  const countsNoCreationDate = policy.maxLifetimeFrom === 'creation' && policy.maxLifetimeMs !== undefined;
  const report: Omit<SweepReport, 'notifications'> = {
    sweepId: workflowId,
    dryRun,
    startedAt: carried.startedAt,
    finishedAt: new Date().toISOString(),
    policy,
    counts,
    lines: carried.lines,
    moreLines: carried.moreLines,
    pages: carried.pages,
    ...(countsNoCreationDate ? { noCreationDate: carried.noCreationDate } : {}),
    ...(carried.idleCheckSkipped !== undefined ? { idleCheckSkipped: carried.idleCheckSkipped } : {}),
  };
  const acted = counts.locked + counts.expirySet + counts.driftCorrected;
  const { lineParts, failedLineParts } = carried;
  let problem: string | undefined;
  await notify({
    kind: 'sweep-report',
    workflowId,
    eventId: uuid4(),
    at: report.finishedAt,
    message:
      `${dryRun ? 'Dry-run sweep' : 'Sweep'}: ${counts.scanned} API-only users scanned, ${acted} ${dryRun ? 'to act on' : 'acted on'}, ` +
      `${counts.reported} reported, ${counts.errors} errors`,
    details: {
      counts,
      dryRun,
      lineParts,
      failedLineParts,
      ...(carried.idleCheckSkipped !== undefined ? { idleCheckSkipped: carried.idleCheckSkipped } : {}),
    },
  }).catch((error: unknown) => {
    problem = failureMessage(error);
  });
  return {
    ...report,
    notifications: {
      lineParts,
      failedLineParts,
      reportDelivered: problem === undefined,
      ...(problem !== undefined ? { problem } : {}),
    },
  };
}
