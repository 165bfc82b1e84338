/**
 * Runs a plan's read of Marketo on a worker (src/workflows/desired-state/read.ts) and checks its answer. A
 * worker, not this process, holds Marketo's credentials; the read is a short workflow of its own.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowClient } from '@temporalio/client';
import { TemporalUnavailableError } from '../errors';
import type { desiredStateReadWorkflow } from '../workflows';
import { marketoReadingSchema, type MarketoReading } from './marketo-reading';

/**
 * Enough for a listing of 20,000 users (100 pages) inside the budget of 50 calls per 20 s; short, because a
 * worker older than this command does not know the read and would leave the plan waiting until then.
 */
const READ_TIMEOUT_MS = 2 * 60_000;

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
      'Check that a worker of this version runs (`marketo-api-users up` or `marketo-api-users worker`) and that Marketo answers, then plan again.',
    );
  }
  return marketoReadingSchema.parse(answer);
}
