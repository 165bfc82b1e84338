/**
 * Helpers shared by the sweep tests: running one sweep with the harness's workers, and reading the sandbox's
 * users in a form that compares whole records before and after.
 */
import type { Harness } from '../helpers/lifecycle-harness';
import type { SweepReport } from '../../src/domain/sweep-policy';
import type { UserSnapshot } from '../../src/sandbox/operator';
import { sweepWorkflow } from '../../src/workflows';
import type { SweepWorkflowInput } from '../../src/workflows/sweep/workflow';

/** The sandbox's seeded orchestrator: the API-only user whose service the product's credentials belong to. */
export const ORCHESTRATOR_EMAIL = 'orchestrator@sandbox.local';

let sweepCounter = 0;

export function sweepId(label: string): string {
  return `sweep-${label}-${process.pid}-${++sweepCounter}-${Date.now().toString(36)}`;
}

/** Starts the harness's workers, runs one sweep to its report, stops the workers. */
export function runSweep(h: Harness, input: SweepWorkflowInput, label = 'test'): Promise<SweepReport> {
  return h.withWorkers(() =>
    h.client.execute(sweepWorkflow, { taskQueue: h.taskQueue, workflowId: sweepId(label), args: [input] }),
  );
}

/**
 * A user's record without `lastLoginAt`, which the orchestrator's own token requests move: everything a
 * sweep could change (expiry, when it was written, lock, past locks, updatedAt) stays in.
 */
export type UserRecord = Omit<UserSnapshot, 'lastLoginAt'>;

function record({ lastLoginAt: _, ...rest }: UserSnapshot): UserRecord {
  return rest;
}

export function userRecords(h: Harness): UserRecord[] {
  return h.sandbox.snapshot().users.map(record);
}

export function usersByEmail(h: Harness): Map<string, UserRecord> {
  return new Map(userRecords(h).map((u) => [u.emailAddress, u]));
}

export function userOf(h: Harness, email: string): UserRecord {
  const found = h.sandbox.snapshot().users.find((u) => u.emailAddress === email);
  if (!found) throw new Error(`no user ${email} in the sandbox`);
  return record(found);
}

/** The emails of the hand-made users `seedUsers` makes for `prefix` and `count`. */
export function seededEmails(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(6, '0')}@sandbox.local`);
}

/** The user-management writes the sandbox counted (update.json), whatever their outcome. */
export function writesCounted(h: Harness): number {
  return h.sandbox.snapshot().counters.userManagement.byEndpoint['POST {userid}/update.json'] ?? 0;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Ends the harness's running lifecycles. A sweep asks the lifecycle of each user on its page for its expiry
 * (src/app/sweep-deps.ts), and a lifecycle whose workers are gone makes that query hang
 * until the server gives up (about 30 s): scenarios clean up after themselves.
 */
export async function terminateLifecycles(h: Harness): Promise<void> {
  const query = `WorkflowType = 'lifecycleWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${h.taskQueue}'`;
  for await (const execution of h.client.list({ query })) {
    await h.client
      .getHandle(execution.workflowId, execution.runId)
      .terminate('test scenario done')
      .catch(() => undefined);
  }
}
