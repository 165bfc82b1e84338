/**
 * The call budget holds across workers, not only inside one: two sets of the product's workers poll the same
 * `-marketo` task queue, each told the whole budget, and the sandbox's call log shows the pair together
 * staying within it. A limit enforced per worker would let the pair run at twice the budget; the Temporal
 * server's task-queue rate limit (`maxTaskQueueActivitiesPerSecond`) is what keeps them to one budget.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { sweepWorkflow } from '../../src/workflows';
import { peakInWindow, withCallLog } from '../helpers/call-log';
import { withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { sweepId } from '../sweep/support';

const USERS = 40;
/** 8 calls/s: far below what the orchestration manages unpaced here, so the limit is what paces the calls. */
const BUDGET = { calls: 32, windowMs: 4000, concurrency: 5 };
/**
 * The server's limiter is a token bucket whose burst is one second's worth of calls, so a window can hold
 * that much more than the budget; over Marketo's 20 s window (50 calls by default) that is 2.5 calls.
 */
const BURST = BUDGET.calls / (BUDGET.windowMs / 1000);

describe('the call budget across two workers on one Marketo task queue', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  /** Finish time of every User Management call the sandbox answered. */
  const calls: number[] = [];

  withDevServerHarness(
    (devServer, harness) => {
      env = devServer;
      h = harness;
    },
    { sandbox: { seedUsers: USERS, ...withCallLog(calls) } },
  );

  it('keeps the pair within one budget', { timeout: 60_000 }, async () => {
    // One connection per worker set, as two processes would have: the SDK refuses two workers for the same
    // task queue on one connection.
    const connections = [env.nativeConnection, await NativeConnection.connect({ address: env.address })];
    const workers: Worker[] = [];
    try {
      for (const connection of connections) {
        workers.push(...(await h.startWorkers({ connection, marketoBudget: BUDGET })));
      }
    } catch (error) {
      await connections[1]?.close().catch(() => undefined);
      throw error;
    }
    const running = workers.map((w) => w.run());
    try {
      const report = await h.client.execute(sweepWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: sweepId('two-workers'),
        args: [{ policy: { requireExpiry: 'set' }, pageSize: 200, concurrency: 10 }],
      });
      assert.equal(report.counts.expirySet, USERS);
    } finally {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.all(running);
      await connections[1]?.close();
    }

    calls.sort((a, b) => a - b);
    const spanMs = calls.at(-1)! - calls[0]!;
    const perSecond = (calls.length / spanMs) * 1000;
    const peak = peakInWindow(calls, BUDGET.windowMs);
    console.log(
      `${calls.length} calls over ${(spanMs / 1000).toFixed(1)} s = ${perSecond.toFixed(1)} calls/s, ` +
        `peak ${peak} in ${BUDGET.windowMs} ms (budget ${BUDGET.calls})`,
    );
    const { answersByCode } = h.sandbox.snapshot().counters.userManagement;
    assert.equal(answersByCode['606'] ?? 0, 0, 'no rate-limit refusal');
    assert.ok(calls.length >= 2 * USERS, `${calls.length} calls: enough to be paced`);
    assert.ok(
      peak <= BUDGET.calls + BURST,
      `peak ${peak} calls in ${BUDGET.windowMs} ms, budget ${BUDGET.calls} + burst ${BURST}`,
    );
  });
});
