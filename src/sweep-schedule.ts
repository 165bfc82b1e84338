/**
 * The sweep's Temporal Schedule: create or update it (an interval, or daily at a local time), pause and resume
 * it with a note, run it now, and describe it in a plain shape (the client API and the CLI print the same).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleSpec,
} from '@temporalio/client';
import { z } from 'zod';
import { durationMsSchema, formatDuration } from './domain/durations';
import { sweepPolicySchema, sweepReportSchema, type SweepCounts } from './domain/sweep-policy';
import { SweepScheduleNotFoundError } from './errors';
import { sweepWorkflow } from './workflows';

export const SWEEP_SCHEDULE_ID = 'marketo-api-users-sweep';

/** How many upcoming times and past runs `describeSweepSchedule` gives. */
export const DESCRIBED_RUNS = 5;

const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** IANA names only (`America/Chicago`, `UTC`): Intl also takes offsets like `+05:00`, which Temporal does not. */
const TIME_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

/** The zone's canonical spelling (`america/chicago` → `America/Chicago`), or undefined when Intl knows none. */
function canonicalTimeZone(name: string): string | undefined {
  if (!TIME_ZONE_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export const clockTimeSchema = z
  .string()
  .trim()
  .regex(CLOCK_TIME, 'must be a time of day as HH:MM (00:00 to 23:59)');

export const timeZoneSchema = z
  .string()
  .trim()
  .max(64, 'must be an IANA time zone such as America/Chicago or UTC')
  .transform((name, ctx) => {
    const canonical = canonicalTimeZone(name);
    if (canonical === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/Chicago or UTC' });
      return z.NEVER;
    }
    return canonical;
  });

/** `every` (at least 1m) or `at` (daily, HH:MM in `timezone`, default UTC): exactly one of them. */
export const sweepScheduleInputSchema = z
  .object({
    every: durationMsSchema.optional(),
    at: clockTimeSchema.optional(),
    timezone: timeZoneSchema.optional(),
    policy: sweepPolicySchema.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.every === undefined) === (input.at === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'give exactly one of every or at' });
    }
    if (input.every !== undefined && input.every < 60_000) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: 'must be at least 1m' });
    }
    if (input.timezone !== undefined && input.at === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only with at (an interval has none)' });
    }
  });
export type SweepScheduleInput = z.input<typeof sweepScheduleInputSchema>;
type ParsedScheduleInput = z.output<typeof sweepScheduleInputSchema>;

/** A pause's or resume's reason, shown by describe and the Web UI: one line of plain text. */
export const scheduleNoteInputSchema = z
  .object({
    note: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[^\p{Cc}]*$/u, 'must be one line of text, without control characters')
      .optional(),
  })
  .strict();
export type ScheduleNoteInput = z.input<typeof scheduleNoteInputSchema>;

/** When the schedule runs: every interval, or daily at a local time. */
export type SweepScheduleTiming = { every: string } | { at: string; timezone: string };

export type ScheduledSweep = { scheduleId: string; created: boolean } & SweepScheduleTiming;

function specOf(parsed: ParsedScheduleInput): { spec: ScheduleSpec; timing: SweepScheduleTiming } {
  if (parsed.every !== undefined) {
    return {
      spec: { intervals: [{ every: parsed.every }] },
      timing: { every: formatDuration(parsed.every) },
    };
  }
  const [hour, minute] = parsed.at!.split(':').map(Number) as [number, number];
  const timezone = parsed.timezone ?? 'UTC';
  const at = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  const calendar = { hour, minute, comment: `daily at ${at} ${timezone}` };
  return { spec: { calendars: [calendar], timezone }, timing: { at, timezone } };
}

/** Creates the schedule, or updates it when it exists (its paused state and note stay as they were). */
export async function upsertSweepSchedule(
  client: Client,
  taskQueue: string,
  parsed: ParsedScheduleInput,
): Promise<ScheduledSweep> {
  type SweepArgs = Parameters<typeof sweepWorkflow>[0];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: sweepWorkflow,
    taskQueue,
    args: [{ dryRun: false, ...(parsed.policy ? { policy: parsed.policy } : {}) }] as [SweepArgs],
  };
  const { spec, timing } = specOf(parsed);
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  try {
    await client.schedule.create({ scheduleId: SWEEP_SCHEDULE_ID, spec, action, policies });
    return { scheduleId: SWEEP_SCHEDULE_ID, created: true, ...timing };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(SWEEP_SCHEDULE_ID)
      .update((previous) => ({ ...previous, spec, action, policies }));
    return { scheduleId: SWEEP_SCHEDULE_ID, created: false, ...timing };
  }
}

/** Runs `body` on the sweep's schedule; a missing one is a SweepScheduleNotFoundError that says how to make it. */
async function onSchedule<T>(
  client: Client,
  body: (handle: ReturnType<Client['schedule']['getHandle']>) => Promise<T>,
): Promise<T> {
  try {
    return await body(client.schedule.getHandle(SWEEP_SCHEDULE_ID));
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new SweepScheduleNotFoundError(SWEEP_SCHEDULE_ID);
    throw error;
  }
}

export interface SweepSchedulePauseResult {
  scheduleId: string;
  paused: boolean;
  note: string;
  /** False when the schedule already was in that state (the note is replaced all the same). */
  changed: boolean;
}

/** Pauses (`paused: true`) or resumes the schedule with a note; a missing schedule is SweepScheduleNotFoundError. */
export function setSweepSchedulePaused(
  client: Client,
  paused: boolean,
  input: z.output<typeof scheduleNoteInputSchema>,
): Promise<SweepSchedulePauseResult> {
  const note = input.note ?? (paused ? 'paused (no note given)' : 'resumed (no note given)');
  return onSchedule(client, async (handle) => {
    const before = await handle.describe();
    await (paused ? handle.pause(note) : handle.unpause(note));
    return { scheduleId: SWEEP_SCHEDULE_ID, paused, note, changed: before.state.paused !== paused };
  });
}

export interface SweepScheduleTriggerResult {
  scheduleId: string;
  /** False when a sweep of the schedule still runs: like a scheduled time, a trigger never doubles it. */
  triggered: boolean;
  /** The sweep that still runs, when `triggered` is false. */
  runningWorkflowId: string | null;
}

/** Starts the schedule's sweep now, unless one of its sweeps still runs (then says which). */
export function triggerSweepSchedule(client: Client): Promise<SweepScheduleTriggerResult> {
  return onSchedule(client, async (handle) => {
    const running = (await handle.describe()).info.runningActions[0];
    if (running) {
      return {
        scheduleId: SWEEP_SCHEDULE_ID,
        triggered: false,
        runningWorkflowId: running.workflow.workflowId,
      };
    }
    // SKIP, not the SDK's default ALLOW_ALL: a sweep started since the check above is not doubled either.
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    return { scheduleId: SWEEP_SCHEDULE_ID, triggered: true, runningWorkflowId: null };
  });
}

/** A finished sweep in brief: its report's counts, never its per-user lines. */
export interface SweepOutcome {
  sweepId: string;
  finishedAt: string;
  pages: number;
  counts: SweepCounts;
}

export type SweepRunStatus =
  | 'running'
  | 'completed'
  | 'failed'
  | 'canceled'
  | 'terminated'
  | 'timed-out'
  | 'unknown';

export interface SweepScheduleRun {
  workflowId: string;
  /** When the schedule meant to start it (a trigger: when it was asked for). */
  scheduledAt: string;
  startedAt: string;
  /** Of the run's latest execution (a sweep continues as new every few pages); `unknown` once Temporal forgot it. */
  status: SweepRunStatus;
  /** The report's counts when the sweep completed, otherwise null. */
  outcome: SweepOutcome | null;
}

/** The sweep policy the schedule's runs get, durations as a person writes them (`90d`). */
export interface SweepPolicySummary {
  maxLifetime: string | null;
  maxLifetimeFrom: 'first-seen' | 'creation';
  requireExpiry: 'set' | 'report' | 'off';
  grace: string;
  lockExpired: boolean;
  exempt: string[];
  /** Idle credentials warned after `notifyAfter` and locked after `lockAfter`; null when not judged. */
  maxIdle: { lockAfter: string; notifyAfter: string } | null;
}

/** What `describeSweepSchedule` returns: plain JSON, times as ISO 8601 UTC. */
export interface SweepScheduleDescription {
  scheduleId: string;
  paused: boolean;
  /** The last pause's or resume's note (Temporal writes its own when it pauses by itself). */
  note: string | null;
  /** When it runs; null when it was changed outside this product to a shape this product does not make. */
  spec: SweepScheduleTiming | null;
  /** The next (at most 5) times it runs, soonest first; none while paused. */
  nextRuns: string[];
  /** Its last (at most 5) runs, newest first; `lastRun` is the first of them. */
  recentRuns: SweepScheduleRun[];
  lastRun: SweepScheduleRun | null;
  /** null when the schedule's action is not a sweep as this product starts it. */
  policy: SweepPolicySummary | null;
  /** A sweep still running when the next is due is skipped, never doubled. */
  overlap: 'skip' | 'other';
}

const STATUS_NAMES: Record<string, SweepRunStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
};

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Reads back what `specOf` writes; anything else (edited in the Web UI, say) is null rather than a guess. */
function timingOf(spec: ScheduleDescription['spec']): SweepScheduleTiming | null {
  const { intervals = [], calendars = [] } = spec;
  if (intervals.length === 1 && calendars.length === 0 && !intervals[0]!.offset) {
    return { every: formatDuration(intervals[0]!.every) };
  }
  if (calendars.length !== 1 || intervals.length !== 0) return null;
  const [hour] = calendars[0]!.hour;
  const [minute] = calendars[0]!.minute;
  if (calendars[0]!.hour.length !== 1 || calendars[0]!.minute.length !== 1) return null;
  if (!hour || !minute || hour.start !== hour.end || minute.start !== minute.end) return null;
  return { at: `${pad(hour.start)}:${pad(minute.start)}`, timezone: spec.timezone ?? 'UTC' };
}

function policyOf(action: ScheduleDescription['action']): SweepPolicySummary | null {
  if (action.type !== 'startWorkflow' || action.workflowType !== 'sweepWorkflow') return null;
  const args = z.object({ policy: z.unknown().optional() }).safeParse(action.args?.[0]);
  const policy = sweepPolicySchema.safeParse(args.success ? (args.data.policy ?? {}) : undefined);
  if (!policy.success) return null;
  const p = policy.data;
  return {
    maxLifetime: p.maxLifetimeMs === undefined ? null : formatDuration(p.maxLifetimeMs),
    maxLifetimeFrom: p.maxLifetimeFrom,
    requireExpiry: p.requireExpiry,
    grace: formatDuration(p.expiryGraceMs),
    lockExpired: p.lockExpired,
    exempt: p.exempt,
    maxIdle: p.maxIdle
      ? {
          lockAfter: formatDuration(p.maxIdle.lockAfterMs),
          notifyAfter: formatDuration(p.maxIdle.notifyAfterMs),
        }
      : null,
  };
}

/** One past run, with the outcome of its latest execution (one describe, one result read when it completed). */
async function runOf(client: Client, action: ScheduleExecutionResult): Promise<SweepScheduleRun> {
  const { workflowId } = action.action.workflow;
  const run: SweepScheduleRun = {
    workflowId,
    scheduledAt: action.scheduledAt.toISOString(),
    startedAt: action.takenAt.toISOString(),
    status: 'unknown',
    outcome: null,
  };
  // Without a run id: the latest execution, past the sweep's continue-as-new.
  const handle = client.workflow.getHandle<typeof sweepWorkflow>(workflowId);
  try {
    run.status = STATUS_NAMES[(await handle.describe()).status.name] ?? 'unknown';
    if (run.status !== 'completed') return run;
    const report = sweepReportSchema.safeParse(await handle.result());
    if (report.success) {
      const { sweepId, finishedAt, pages, counts } = report.data;
      run.outcome = { sweepId, finishedAt, pages, counts };
    }
    return run;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return run;
    throw error;
  }
}

/** The schedule as a person or pipeline wants it: paused and why, when, next times, last runs, policy. */
export function describeSweepSchedule(client: Client): Promise<SweepScheduleDescription> {
  return onSchedule(client, async (handle) => {
    const d = await handle.describe();
    const latest = [...d.info.recentActions].reverse().slice(0, DESCRIBED_RUNS);
    const recentRuns = await Promise.all(latest.map((action) => runOf(client, action)));
    return {
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      note: d.state.note || null,
      spec: timingOf(d.spec),
      nextRuns: d.info.nextActionTimes.slice(0, DESCRIBED_RUNS).map((t) => t.toISOString()),
      recentRuns,
      lastRun: recentRuns[0] ?? null,
      policy: policyOf(d.action),
      overlap: d.policies.overlap === ScheduleOverlapPolicy.SKIP ? 'skip' : 'other',
    };
  });
}
