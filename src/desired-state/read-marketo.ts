/**
 * Runs a plan's read of Marketo on a worker (src/workflows/desired-state/read.ts) and checks its answer. A
 * worker, not this process, holds Marketo's credentials; the read is a short workflow of its own.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowClient } from '@temporalio/client';
import { TemporalUnavailableError } from '../errors';
import type { desiredStateReadWorkflow } from '../workflows';
import { marketoReadingSchema, type MarketoReading } from './marketo-reading';

/** Long enough for a listing of tens of thousands of users inside Marketo's rate limit. */
const READ_TIMEOUT_MS = 5 * 60_000;

export interface ReadTarget {
  workflows: WorkflowClient;
  taskQueue: string;
}

export async function readMarketo(target: ReadTarget, emails: string[]): Promise<MarketoReading> {
  let answer: unknown;
  try {
    answer = await target.workflows.execute<typeof desiredStateReadWorkflow>('desiredStateReadWorkflow', {
      taskQueue: target.taskQueue,
      workflowId: `marketo-api-users-plan-read-${randomUUID()}`,
      workflowExecutionTimeout: READ_TIMEOUT_MS,
      args: [{ emails: [...new Set(emails.map((e) => e.toLowerCase()))].sort() }],
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new TemporalUnavailableError(
      `The plan could not read Marketo's users (${cause.split('\n')[0]}); nothing was changed.`,
      'Check that a worker runs (`marketo-api-users up` or `marketo-api-users worker`) and that Marketo answers, then plan again.',
    );
  }
  return marketoReadingSchema.parse(answer);
}
