/**
 * The usage collector end to end, as a new user meets it: a lifecycle's credentials make calls, the sandbox's
 * Usage API counts them, the collector (run now, and by its schedule) stores them, and `status` and `list`
 * show the last use; a lifecycle that never called says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { LifecycleClient, USAGE_SCHEDULE_ID } from '../../src/client';
import { createDataConverter } from '../../src/security/data-converter';
import { marketoDayOf } from '../../src/domain/usage';
import { createMarketoClient } from '../../src/marketo';
import { eventually, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen } from '../lifecycle/support';

const ORCHESTRATOR = 'orchestrator@sandbox.local';

function totalCalls(rows: { calls: number }[]): number {
  return rows.reduce((sum, row) => sum + row.calls, 0);
}

describe('usage collector', () => {
  let h: Harness;
  let lifecycles: LifecycleClient;
  let schedules: Client;
  const used = sampleRequest();
  const unused = sampleRequest();

  withDevServerHarness(async (devServer, harness, { onClose }) => {
    h = harness;
    lifecycles = await LifecycleClient.connect({
      connection: devServer.connection,
      dataDir: h.dataDir,
      env: { MARKETO_BASE_URL: h.sandbox.baseUrl, MARKETO_API_USERS_TASK_QUEUE: h.taskQueue },
    });
    schedules = new Client({
      connection: devServer.connection,
      dataConverter: createDataConverter(h.keyring),
    });
    onClose(async () => {
      await lifecycles.deleteUsageSchedule().catch(() => undefined);
      await lifecycles.close();
    });
  });

  it('records the calls a lifecycle credential made; status and list show lastUsedAt and idle days', async () => {
    await h.withWorkers(async () => {
      const active = await statusWhen(h.client.getHandle(await h.start(used)), (s) => s.phase === 'active');
      await statusWhen(h.client.getHandle(await h.start(unused)), (s) => s.phase === 'active');
      const credentials = await h.secrets.get(active.secretRef!);
      assert.ok(credentials);
      const app = createMarketoClient({ baseUrl: h.sandbox.baseUrl, ...credentials, budget: 'unlimited' });
      for (let call = 0; call < 3; call += 1) await app.usage.dailyErrors();

      const report = await lifecycles.collectUsage();
      const today = marketoDayOf(Date.now());
      assert.equal(report.collectedDay, today);
      assert.ok(report.calls >= 3, `the three calls are among those stored (${report.calls})`);

      const status = await lifecycles.status(used.email);
      assert.equal(status.lastUsedAt, today);
      assert.equal(status.idleDays, 0);
      assert.equal(status.neverUsedSince, null);
      const idle = await lifecycles.status(unused.email);
      assert.deepEqual(
        { lastUsedAt: idle.lastUsedAt, neverUsedSince: idle.neverUsedSince },
        { lastUsedAt: null, neverUsedSince: report.coveredSince },
      );

      const listed = new Map((await lifecycles.list()).map((summary) => [summary.email, summary]));
      assert.equal(listed.get(used.email)?.lastUsedAt, today);
      assert.equal(listed.get(unused.email)?.neverUsedSince, report.coveredSince);
    });
  });

  it('the schedule collects on its own action; a second delete finds none', async () => {
    const scheduled = await lifecycles.scheduleUsage({});
    assert.deepEqual(scheduled, {
      scheduleId: USAGE_SCHEDULE_ID,
      created: true,
      at: '00:30',
      timezone: 'America/Chicago',
    });
    assert.equal((await lifecycles.scheduleUsage({ at: '01:15' })).created, false);
    const handle = schedules.schedule.getHandle(USAGE_SCHEDULE_ID);
    assert.equal((await handle.describe()).action.workflowType, 'usageCollectorWorkflow');
    const rowsBefore = await h.deps.usage.dailyCallsOf(h.marketo.baseUrl, ORCHESTRATOR);
    await h.withWorkers(async () => {
      await handle.trigger();
      // The collector's own read is the orchestrator's call: a stored count above the earlier one is this run.
      await eventually(async () => {
        const rowsAfter = await h.deps.usage.dailyCallsOf(h.marketo.baseUrl, ORCHESTRATOR);
        return totalCalls(rowsAfter) > totalCalls(rowsBefore) ? true : undefined;
      });
    });
    assert.equal(await lifecycles.deleteUsageSchedule(), true);
    assert.equal(await lifecycles.deleteUsageSchedule(), false);
  });

  it('refuses a bad time before anything is made', async () => {
    await assert.rejects(lifecycles.scheduleUsage({ at: '25:00' }), /HH:MM/);
  });
});
