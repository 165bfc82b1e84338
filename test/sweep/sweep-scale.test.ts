/**
 * A 2,000-user instance swept within its call budget: every read and write goes through the Marketo queue,
 * whose server-side rate limit (200 calls/s) and per-worker concurrency (5) are the budget; the sandbox allows
 * twice that and refuses nothing (no 606, no 615), every hand-made user ends with an expiry, and the sweep
 * continues as new between page batches. On a 2-core machine the orchestration itself tops out below
 * 200 calls/s, so a second, smaller sweep with a 20 calls/s budget shows the limit actually pacing calls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SweepReport } from '../../src/domain/sweep-policy';
import type { SweepWorkflowInput } from '../../src/workflows/sweep/workflow';
import { sweepWorkflow } from '../../src/workflows';
import { peakInWindow, withCallLog } from '../helpers/call-log';
import { createHarness, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { ORCHESTRATOR_EMAIL, sweepId } from './support';

const USERS = 2000;
const BUDGET = { calls: 200, windowMs: 1000, concurrency: 5 };
const SANDBOX_LIMITS = { rateLimit: { calls: 400, windowMs: 1000 }, maxConcurrent: 10 };
/** Latency on every call, so that calls overlap and the concurrency cap is exercised. */
const LATENCY_MS = 15;
const DAY = 86_400_000;

/** Runs one sweep with the product's workers, the Marketo queue limited to `budget`. */
async function sweepWithBudget(
  env: TestWorkflowEnvironment,
  h: Harness,
  budget: typeof BUDGET,
  input: SweepWorkflowInput,
): Promise<{ report: SweepReport; workflowId: string; startedMs: number; durationMs: number }> {
  const workers = await h.startWorkers({ connection: env.nativeConnection, marketoBudget: budget });
  const running = workers.map((w) => w.run());
  const workflowId = sweepId('scale');
  const startedMs = Date.now();
  try {
    const report = await h.client.execute(sweepWorkflow, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [input],
    });
    return { report, workflowId, startedMs, durationMs: Date.now() - startedMs };
  } finally {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.all(running);
  }
}

describe(`sweep of a ${USERS}-user instance`, () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  /** Finish time of every User Management call the sandbox answered. */
  const calls: number[] = [];

  withDevServerHarness(
    (devServer, harness) => {
      env = devServer;
      h = harness;
    },
    { sandbox: { seedUsers: USERS, ...SANDBOX_LIMITS, latencyMs: LATENCY_MS, ...withCallLog(calls) } },
  );

  it('sets an expiry on every user, inside the budget, with no 606 and no 615, over several runs', async () => {
    const seeded = h.sandbox.snapshot().users.filter((u) => u.emailAddress !== ORCHESTRATOR_EMAIL);
    assert.equal(seeded.length, USERS);
    assert.ok(seeded.every((u) => u.apiOnly && u.expiresAt === null));

    const { report, workflowId, startedMs, durationMs } = await sweepWithBudget(env, h, BUDGET, {
      policy: { requireExpiry: 'set' },
      pageSize: 200,
      pagesPerRun: 5,
      concurrency: 10,
    });

    const snapshot = h.sandbox.snapshot();
    const { answersByCode, charged, byEndpoint } = snapshot.counters.userManagement;
    const users = snapshot.users.filter((u) => u.emailAddress !== ORCHESTRATOR_EMAIL);
    const missing = users.filter((u) => u.expiresAt === null);
    assert.equal(missing.length, 0, `${missing.length} users without an expiry`);
    for (const u of users) {
      const at = Date.parse(u.expiresAt!);
      assert.ok(at >= startedMs + 7 * DAY - 1000 && at <= startedMs + durationMs + 7 * DAY, u.emailAddress);
    }
    assert.equal(answersByCode['606'] ?? 0, 0, 'no rate-limit refusal');
    assert.equal(answersByCode['615'] ?? 0, 0, 'no concurrency refusal');
    assert.equal(answersByCode['200'], charged, 'every charged call succeeded');
    assert.deepEqual(report.counts, {
      scanned: USERS + 1,
      compliant: 0,
      locked: 0,
      expirySet: USERS,
      driftCorrected: 0,
      exempt: 1,
      reported: 0,
      errors: 0,
    });
    assert.equal(report.lines.length + report.moreLines, USERS);
    assert.equal(report.pages, Math.ceil((USERS + 1) / 200));
    // One list per page, one read per API-only user, one write per user without an expiry: nothing more.
    assert.equal(byEndpoint['GET allusers.json'], report.pages);
    assert.equal(byEndpoint['GET {userid}/user.json'], USERS + 1);
    assert.equal(byEndpoint['POST {userid}/update.json'], USERS);

    const runs = [];
    for await (const execution of h.client.list({ query: `WorkflowId = '${workflowId}'` }))
      runs.push(execution);
    assert.ok(runs.length >= 2, `continued as new at least once: ${runs.length} run(s)`);
    assert.equal(runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW').length, runs.length - 1);

    calls.sort((a, b) => a - b);
    const spanMs = calls.at(-1)! - calls[0]!;
    const perSecond = (calls.length / spanMs) * 1000;
    const budgetPerSecond = BUDGET.calls / (BUDGET.windowMs / 1000);
    const peak = peakInWindow(calls, 1000);
    console.log(
      `${USERS} users: sweep ${(durationMs / 1000).toFixed(1)} s, ${calls.length} calls over ` +
        `${(spanMs / 1000).toFixed(1)} s = ${perSecond.toFixed(1)} calls/s (budget ${budgetPerSecond}), peak ` +
        `${peak} in 1 s (sandbox limit ${SANDBOX_LIMITS.rateLimit.calls}), peak in flight ` +
        `${snapshot.limits.peakInFlight}, 606: ${answersByCode['606'] ?? 0}, 615: ${answersByCode['615'] ?? 0}, ` +
        `runs: ${runs.length}`,
    );
    assert.equal(calls.length, charged);
    // The server's limiter may let one second's worth through at once; beyond that, the budget holds.
    assert.ok(calls.length <= budgetPerSecond * (spanMs / 1000 + 1), `${perSecond.toFixed(1)} calls/s`);
    assert.ok(perSecond <= budgetPerSecond * 1.1, `${perSecond.toFixed(1)} calls/s over ${budgetPerSecond}`);
    assert.ok(peak <= SANDBOX_LIMITS.rateLimit.calls, `peak ${peak} in one second`);
    assert.ok(
      snapshot.limits.peakInFlight <= BUDGET.concurrency,
      `peak in flight ${snapshot.limits.peakInFlight}`,
    );
    // About 50 s on 2 cores: the dev server and this process, not the budget, set the pace here (~75 calls/s;
    // the next test shows the budget binding when it is the tighter limit). A bound against hangs, not a target.
    assert.ok(durationMs < 120_000, `${durationMs} ms`);
  });

  it('the budget binds: 100 users at 20 calls/s take their ~10 s, never faster', async () => {
    const slow = { calls: 20, windowMs: 1000, concurrency: 5 };
    const slowCalls: number[] = [];
    const small = await createHarness(env, {
      sandbox: {
        seedUsers: 100,
        rateLimit: { calls: 40, windowMs: 1000 },
        maxConcurrent: 10,
        latencyMs: LATENCY_MS,
        ...withCallLog(slowCalls),
      },
    });
    try {
      const { report } = await sweepWithBudget(env, small, slow, {
        policy: { requireExpiry: 'set' },
        pageSize: 50,
        concurrency: 10,
      });
      assert.equal(report.counts.expirySet, 100);
      const { answersByCode } = small.sandbox.snapshot().counters.userManagement;
      assert.equal(answersByCode['606'] ?? 0, 0);
      assert.equal(answersByCode['615'] ?? 0, 0);
      slowCalls.sort((a, b) => a - b);
      const spanMs = slowCalls.at(-1)! - slowCalls[0]!;
      const perSecond = (slowCalls.length / spanMs) * 1000;
      console.log(
        `100 users at a 20/s budget: ${slowCalls.length} calls over ${(spanMs / 1000).toFixed(1)} s = ` +
          `${perSecond.toFixed(1)} calls/s, peak ${peakInWindow(slowCalls, 1000)} in 1 s`,
      );
      // Unpaced, the same sweep runs at the ~80 calls/s the orchestration manages here (see above), so staying
      // under 20/s is the budget binding. How close to the budget a paced sweep gets is a speed, measured by
      // `npm run bench` (budgetUtilization), not asserted: a loaded CI machine once paced it at 15.0/s.
      assert.ok(slowCalls.length <= 20 * (spanMs / 1000 + 1), `${perSecond.toFixed(1)} calls/s`);
      assert.ok(perSecond <= 20 * 1.1, `${perSecond.toFixed(1)} calls/s over 20`);
      assert.ok(peakInWindow(slowCalls, 1000) <= 40);
    } finally {
      await small.close();
    }
  });
});
