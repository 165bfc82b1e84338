/**
 * The one activity interceptor: every error leaves an activity classified for Temporal's retries, and every
 * activity heartbeats while it runs, so a heartbeat timeout shorter than the call does not end it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowClient, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { activityInterceptors } from '../../src/activities';
import { HEARTBEAT_INTERVAL_MS, heartbeatAndClassify } from '../../src/activities/interceptor';
import { AdminConsoleError } from '../../src/marketo/admin-console';
import { MarketoApiError } from '../../src/marketo/errors';
import { fakeClock } from '../helpers/fake-clock';
import { bundleInlineWorkflows } from '../helpers/inline-workflows';
import { silentLogger } from '../helpers/quiet-runtime';
import { withDevServer } from '../helpers/temporal-env';

function marketoError(code: string, message = 'refused'): MarketoApiError {
  return MarketoApiError.from({
    code,
    httpStatus: 200,
    now: Date.now(),
    endpoint: 'GET /userservice',
    message,
  });
}

/** What an activity that throws `error` ends with, run the way a worker runs it. */
async function failureOf(error: Error): Promise<unknown> {
  const env = new MockActivityEnvironment({}, { interceptors: activityInterceptors, logger: silentLogger });
  return env
    .run(() => Promise.reject(error))
    .then(
      () => assert.fail('expected the activity to fail'),
      (e: unknown) => e,
    );
}

describe('activity interceptor: classification', () => {
  it('a Marketo error retrying cannot help is a non-retryable failure of its kind, with its hint', async () => {
    const error = marketoError('603', 'Access denied');
    const failure = await failureOf(error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, `Marketo.${error.kind}`);
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.message, `${error.message}. ${error.hint}`);
    assert.deepEqual(failure.details, [{ code: '603', httpStatus: 200 }]);
  });

  it('a retryable Marketo error carries the wait Marketo asks for as nextRetryDelay', async () => {
    const error = marketoError('606', "Max rate limit '100' exceeded with in '20' secs");
    assert.equal(error.retryable, true);
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 0);
    const failure = await failureOf(error);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, error.retryAfterMs);
  });

  it('admin console errors keep their retryability; anything else is retried as Unexpected', async () => {
    const refused = await failureOf(new AdminConsoleError('role name taken', 409, false));
    assert.ok(refused instanceof ApplicationFailure);
    assert.deepEqual([refused.type, refused.nonRetryable], ['AdminConsole', true]);
    const busy = await failureOf(new AdminConsoleError('console busy', 503, true));
    assert.ok(busy instanceof ApplicationFailure);
    assert.equal(busy.nonRetryable, false);
    const unexpected = await failureOf(new TypeError('x is undefined'));
    assert.ok(unexpected instanceof ApplicationFailure);
    assert.deepEqual(
      [unexpected.type, unexpected.message, unexpected.nonRetryable],
      ['Unexpected', 'x is undefined', false],
    );
  });

  it('an activity that throws synchronously is classified too, and an ApplicationFailure passes unchanged', async () => {
    const env = new MockActivityEnvironment({}, { interceptors: activityInterceptors, logger: silentLogger });
    const sync = await env
      .run(() => {
        throw new Error('sync');
      })
      .catch((e: unknown) => e);
    assert.ok(sync instanceof ApplicationFailure);
    assert.equal(sync.type, 'Unexpected');
    const own = ApplicationFailure.create({
      type: 'WorkflowIdKeyMismatch',
      message: 'other key',
      nonRetryable: true,
    });
    assert.equal(await failureOf(own), own);
  });
});

describe('activity interceptor: heartbeats', () => {
  it('beats at once and every interval while the activity runs, then stops', async (t) => {
    // On the test's own clock: on the real one a paused machine fires a late interval once, not once per
    // interval missed, and the count depended on the machine's speed.
    const clock = fakeClock(t, ['setTimeout', 'setInterval']);
    const env = new MockActivityEnvironment(
      {},
      { interceptors: [heartbeatAndClassify(50)], logger: silentLogger },
    );
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    const ran = env.run(() => sleep(275).then(() => 'done'));
    await clock.advance(275);
    assert.equal(await ran, 'done');
    assert.equal(beats, 6, `${beats} heartbeats in 275 ms at 50 ms: one at once and one at 50, 100, ... 250`);
    await clock.advance(150);
    assert.equal(beats, 6, 'no heartbeat after the activity ended');
    assert.ok(HEARTBEAT_INTERVAL_MS * 3 <= 20_000, "three beats fit in the sweep's 20 s heartbeat timeout");
  });
});

const WORKFLOWS_SOURCE = `
const { proxyActivities } = require('@temporalio/workflow');
const { slow } = proxyActivities({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '1 second',
  retry: { maximumAttempts: 1 },
});
exports.slowWorkflow = async (ms) => slow(ms);
`;

describe('activity interceptor on a real worker', () => {
  let env: TestWorkflowEnvironment;
  withDevServer((devServer) => {
    env = devServer;
  });

  /** Runs an activity of `ms` under a 1 s heartbeat timeout: its result, or the workflow's failure. */
  async function runSlow(ms: number, interceptors: ActivityInterceptorsFactory[]): Promise<unknown> {
    const taskQueue = `interceptor-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await bundleInlineWorkflows(WORKFLOWS_SOURCE),
      activities: { slow: (wait: number) => sleep(wait).then(() => `slept ${wait}`) },
      interceptors: { activity: interceptors },
    });
    const client = new WorkflowClient({ connection: env.connection });
    return worker.runUntil(
      client
        .execute<(wait: number) => Promise<string>>('slowWorkflow', {
          taskQueue,
          workflowId: `slow-${taskQueue}`,
          args: [ms],
        })
        .catch((e: unknown) => e),
    );
  }

  it('an activity longer than its heartbeat timeout is not timed out', async () => {
    assert.equal(await runSlow(3_000, [heartbeatAndClassify(200)]), 'slept 3000');
  });

  it('without the interceptor the same activity is timed out by the heartbeat timeout', async () => {
    const failure = await runSlow(3_000, []);
    assert.ok(failure instanceof WorkflowFailedError);
    assert.ok(failure.cause instanceof ActivityFailure);
    assert.ok(failure.cause.cause instanceof TimeoutFailure);
    assert.equal(failure.cause.cause.timeoutType, TimeoutType.HEARTBEAT);
  });
});
