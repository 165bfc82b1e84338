/**
 * The sweep on a Temporal Schedule: `LifecycleClient.scheduleSweep` creates (then updates) the schedule the
 * product documents, a triggered action runs a sweep that changes the sandbox, and a schedule firing on its own
 * interval does too. The client refuses intervals under a minute, so the self-firing one (every 5 s) is built
 * directly, mirroring what scheduleSweep builds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Client,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleHandle,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InputError, LifecycleClient, SWEEP_SCHEDULE_ID } from '../../src/client';
import type { SweepReport } from '../../src/domain/sweep-policy';
import { createDataConverter } from '../../src/security/data-converter';
import { sweepWorkflow } from '../../src/workflows';
import { eventually, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { seededEmails, userOf } from './support';

const DAY = 86_400_000;

/** Waits for the schedule's first action and returns that sweep's report. */
async function firstScheduledReport(h: Harness, schedule: ScheduleHandle, timeoutMs: number) {
  const action = await eventually(async () => (await schedule.describe()).info.recentActions[0], timeoutMs);
  assert.equal(action.action.type, 'startWorkflow');
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const report: SweepReport = await h.client
    .getHandle<typeof sweepWorkflow>(workflowId, firstExecutionRunId)
    .result();
  const description = await h.client.getHandle(workflowId, firstExecutionRunId).describe();
  assert.equal(description.type, 'sweepWorkflow');
  assert.equal(description.taskQueue, h.taskQueue);
  return { report, workflowId };
}

describe('scheduled sweeps', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let lifecycles: LifecycleClient;
  let client: Client;

  withDevServerHarness(async (devServer, harness, { onClose }) => {
    env = devServer;
    h = harness;
    // The product's client, pointed at this harness's instance, queue and key file (no stack.json needed).
    lifecycles = await LifecycleClient.connect({
      connection: env.connection,
      dataDir: h.dataDir,
      env: { MARKETO_BASE_URL: h.sandbox.baseUrl, MARKETO_API_USERS_TASK_QUEUE: h.taskQueue },
    });
    onClose(async () => {
      await lifecycles.deleteSweepSchedule().catch(() => undefined);
      await lifecycles.close();
    });
    assert.equal(lifecycles.context.taskQueue, h.taskQueue);
    client = new Client({ connection: env.connection, dataConverter: createDataConverter(h.keyring) });
  });

  it('scheduleSweep refuses an interval under a minute before anything is created', async () => {
    await assert.rejects(lifecycles.scheduleSweep({ every: '5s' }), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.match(error.message, /at least 1m/);
      return true;
    });
    await assert.rejects(client.schedule.getHandle(SWEEP_SCHEDULE_ID).describe(), ScheduleNotFoundError);
  });

  it('scheduleSweep creates then updates the schedule; a triggered run sweeps; delete removes it', async () => {
    h.sandbox.operator.seedUsers({ count: 2, prefix: 'sched' });
    const first = await lifecycles.scheduleSweep({ every: '1m', policy: { requireExpiry: 'report' } });
    assert.deepEqual(first, { scheduleId: SWEEP_SCHEDULE_ID, created: true, every: '1m' });
    const policy = { requireExpiry: 'set' as const, expiryGraceMs: '1d' };
    const second = await lifecycles.scheduleSweep({ every: '2m', policy });
    assert.deepEqual(second, { scheduleId: SWEEP_SCHEDULE_ID, created: false, every: '2m' });

    const schedule = client.schedule.getHandle(SWEEP_SCHEDULE_ID);
    const described = await schedule.describe();
    assert.deepEqual(
      described.spec.intervals?.map((i) => i.every),
      [120_000],
    );
    assert.equal(
      described.policies.overlap,
      ScheduleOverlapPolicy.SKIP,
      'a sweep still running is not doubled',
    );
    assert.equal(described.action.type, 'startWorkflow');
    if (described.action.type !== 'startWorkflow') return;
    assert.equal(described.action.workflowType, 'sweepWorkflow');
    assert.equal(described.action.taskQueue, h.taskQueue);
    assert.deepEqual(
      described.action.args,
      [
        {
          dryRun: false,
          policy: {
            requireExpiry: 'set',
            expiryGraceMs: DAY,
            maxLifetimeFrom: 'first-seen',
            lockExpired: true,
            exempt: [],
          },
        },
      ],
      'the update replaced the policy, parsed (durations in ms, defaults filled in)',
    );

    const startedMs = Date.now();
    const { report } = await h.withWorkers(async () => {
      await schedule.trigger();
      return firstScheduledReport(h, schedule, 20_000);
    });
    assert.equal(report.dryRun, false);
    assert.equal(report.counts.expirySet, 2);
    for (const email of seededEmails('sched', 2)) {
      const at = Date.parse(userOf(h, email).expiresAt ?? 'no expiry');
      assert.ok(at >= startedMs + DAY - 1000 && at <= Date.now() + DAY, `${email} got now + 1d`);
    }
    assert.equal(h.notifier.of('sweep-report', report.sweepId).length, 1);

    assert.equal(await lifecycles.deleteSweepSchedule(), true);
    assert.equal(await lifecycles.deleteSweepSchedule(), false, 'nothing left to delete');
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
  });

  it('a schedule every 5 s fires by itself and its sweep changes the sandbox', async () => {
    h.sandbox.operator.seedUsers({ count: 1, prefix: 'interval' });
    const email = seededEmails('interval', 1)[0]!;
    assert.equal(userOf(h, email).expiresAt, null);
    const scheduleId = `sweep-every-5s-${Date.now().toString(36)}`;
    // What scheduleSweep builds, with an interval the client API would refuse.
    const schedule = await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '5s' }] },
      action: {
        type: 'startWorkflow',
        workflowType: sweepWorkflow,
        taskQueue: h.taskQueue,
        args: [{ dryRun: false, policy: { requireExpiry: 'set', expiryGraceMs: '3d' } }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    try {
      const createdMs = Date.now();
      const { report, workflowId } = await h.withWorkers(() => firstScheduledReport(h, schedule, 15_000));
      assert.ok(Date.now() - createdMs < 15_000);
      assert.ok(workflowId.startsWith(scheduleId), workflowId);
      assert.equal(report.counts.expirySet, 1, 'the new hand-made user, the others already have one');
      const at = Date.parse(userOf(h, email).expiresAt ?? 'no expiry');
      assert.ok(at >= createdMs + 3 * DAY - 1000 && at <= Date.now() + 3 * DAY);
    } finally {
      await schedule.delete();
    }
    await assert.rejects(schedule.describe(), ScheduleNotFoundError);
  });
});
