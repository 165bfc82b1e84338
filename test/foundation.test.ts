import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { sleepThenVisitWorkflow, visitWorkflow } from './fixtures/foundation-workflows';
import { createFoundationActivities } from './fixtures/foundation-activities';
import { silentLogger } from './helpers/quiet-runtime';
import { withDevServer, withTimeSkippingServer } from './helpers/temporal-env';

let workflowBundle: WorkflowBundle;
before(async () => {
  // One bundle for every worker in this file: bundling is the slow part of a worker's start.
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./fixtures/foundation-workflows'),
    logger: silentLogger,
  });
});

async function createWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  visits: string[],
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createFoundationActivities(visits),
  });
}

describe('dev server (Temporal CLI)', () => {
  let env: TestWorkflowEnvironment;
  withDevServer((devServer) => {
    env = devServer;
  });

  it('is a real server without time skipping', () => {
    assert.equal(env.supportsTimeSkipping, false);
  });

  it('runs a workflow that calls an activity, recorded in the server history', async () => {
    const visits: string[] = [];
    const worker = await createWorker(env, 'foundation-dev', visits);
    const result = await worker.runUntil(
      env.client.workflow.execute(visitWorkflow, {
        taskQueue: 'foundation-dev',
        workflowId: 'visit-dev',
        args: ['ada'],
      }),
    );
    assert.equal(result, 'visited ada (1)');
    assert.deepEqual(visits, ['ada']);
    const history = await env.client.workflow.getHandle('visit-dev').fetchHistory();
    const types = (history.events ?? []).map((e) => e.activityTaskCompletedEventAttributes).filter(Boolean);
    assert.equal(types.length, 1, 'exactly one completed activity in the history');
  });
});

describe('time-skipping test server (Java)', () => {
  let env: TestWorkflowEnvironment;
  withTimeSkippingServer((server) => {
    env = server;
  });

  it('is the time-skipping server', () => {
    assert.equal(env.supportsTimeSkipping, true);
  });

  it('runs a workflow that calls an activity', async () => {
    const visits: string[] = [];
    const worker = await createWorker(env, 'foundation-skip', visits);
    const result = await worker.runUntil(
      env.client.workflow.execute(visitWorkflow, {
        taskQueue: 'foundation-skip',
        workflowId: 'visit-skip',
        args: ['ada'],
      }),
    );
    assert.equal(result, 'visited ada (1)');
    assert.deepEqual(visits, ['ada']);
  });

  it('lets 30 days of a durable timer pass in well under a second', async () => {
    const visits: string[] = [];
    const worker = await createWorker(env, 'foundation-timer', visits);
    await worker.runUntil(async () => {
      const serverTimeBefore = await env.currentTimeMs();
      const wallBefore = performance.now();
      const result = await env.client.workflow.execute(sleepThenVisitWorkflow, {
        taskQueue: 'foundation-timer',
        workflowId: 'sleep-30-days',
        args: ['grace', 30],
      });
      const wallMs = performance.now() - wallBefore;
      const skippedMs = (await env.currentTimeMs()) - serverTimeBefore;
      assert.equal(result, 'visited grace (1)');
      assert.ok(
        skippedMs >= 30 * 24 * 3600 * 1000,
        `server clock moved ${skippedMs} ms, expected >= 30 days`,
      );
      console.log(`# 30 days of timer passed in ${Math.round(wallMs)} ms of wall time`);
    });
  });
});
