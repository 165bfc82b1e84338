/**
 * The usage collector's Temporal Schedule (daily at a local time), its removal, and a collection run now.
 * Marketo's day ends at midnight America/Chicago, so the default reads just after it: the day before is
 * complete, and today's partial count is read again, larger, the next day.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
} from '@temporalio/client';
import { z } from 'zod';
import type { UsageCollectionReport } from './activities/types';
import { clockTimeSchema, timeZoneSchema } from './sweep-schedule';
import { usageCollectorWorkflow } from './workflows';

export const USAGE_SCHEDULE_ID = 'marketo-api-users-usage';
export const DEFAULT_USAGE_TIME = { at: '00:30', timezone: 'America/Chicago' } as const;

export const usageScheduleInputSchema = z
  .object({
    at: clockTimeSchema.default(DEFAULT_USAGE_TIME.at),
    timezone: timeZoneSchema.default(DEFAULT_USAGE_TIME.timezone),
  })
  .strict();
export type UsageScheduleInput = z.input<typeof usageScheduleInputSchema>;

export interface ScheduledUsage {
  scheduleId: string;
  created: boolean;
  at: string;
  timezone: string;
}

/** Creates the schedule, or updates its time when it exists (paused or not, it stays so). */
export async function upsertUsageSchedule(
  client: Client,
  taskQueue: string,
  input: z.output<typeof usageScheduleInputSchema>,
): Promise<ScheduledUsage> {
  const [hour, minute] = input.at.split(':').map(Number) as [number, number];
  const spec = {
    calendars: [{ hour, minute, comment: `daily at ${input.at} ${input.timezone}` }],
    timezone: input.timezone,
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: usageCollectorWorkflow,
    taskQueue,
    args: [] as [],
  };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP };
  const answer = { scheduleId: USAGE_SCHEDULE_ID, at: input.at, timezone: input.timezone };
  try {
    await client.schedule.create({ scheduleId: USAGE_SCHEDULE_ID, spec, action, policies });
    return { ...answer, created: true };
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule
      .getHandle(USAGE_SCHEDULE_ID)
      .update((previous) => ({ ...previous, spec, action, policies }));
    return { ...answer, created: false };
  }
}

/** Removes the schedule; false when there was none. */
export async function deleteUsageSchedule(client: Client): Promise<boolean> {
  try {
    await client.schedule.getHandle(USAGE_SCHEDULE_ID).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

/** One collection now, outside the schedule, and what it stored. */
export async function collectUsageNow(client: Client, taskQueue: string): Promise<UsageCollectionReport> {
  return client.workflow.execute(usageCollectorWorkflow, {
    taskQueue,
    workflowId: `${USAGE_SCHEDULE_ID}-now-${Date.now()}`,
    args: [],
  });
}
