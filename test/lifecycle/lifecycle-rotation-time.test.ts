/**
 * Rotations in workflow time, on the time-skipping server: the old service retired when the overlap ends,
 * `rotateEvery` on a durable schedule that neither swallows nor duplicates the reminder it falls together with,
 * a scheduled rotation skipped when the access ends before its overlap would, and a failed proof of death tried
 * again until it holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment, TimeSkippingWorkflowClient } from '@temporalio/testing';
import { isMarketoApiError } from '../../src/marketo/errors';
import { sandboxAdminConsole } from '../../src/sandbox/admin-console-client';
import type { lifecycleWorkflow } from '../../src/workflows';
import { confirmSwitchUpdate, revokeUpdate, rotateUpdate, statusQuery } from '../../src/workflows/messages';
import {
  eventually,
  sampleRequest,
  withTimeSkippingHarness,
  type Harness,
  timeSkippingClient,
} from '../helpers/lifecycle-harness';
import { statusWhen, withAlteredWorkers } from './support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// One test server per test: the test server's clock is shared, and a lifecycle left by one test (workers
// stopped with an activity started) held it for the next test's time skipping.
function rotationTimeTest(name: string, body: (t: TimeTest) => Promise<void>): void {
  describe(name, () => {
    const t = {} as TimeTest;
    withTimeSkippingHarness((server, harness) => {
      Object.assign(t, timeTest(server, harness));
    });
    it(name, () => body(t));
  });
}

interface TimeTest {
  env: TestWorkflowEnvironment;
  h: Harness;
  skipping: TimeSkippingWorkflowClient;
  servicesOf: (email: string) => { clientId: string }[];
  refused: (clientId: string, clientSecret: string) => Promise<boolean>;
  start: (
    name: string,
    policy?: object,
  ) => Promise<{ handle: WorkflowHandle<typeof lifecycleWorkflow>; email: string }>;
  endWithWorkers: (handle: WorkflowHandle<typeof lifecycleWorkflow>) => Promise<void>;
}

function timeTest(env: TestWorkflowEnvironment, h: Harness): TimeTest {
  const skipping = timeSkippingClient(env, h);

  const servicesOf = (email: string) => {
    const snapshot = h.sandbox.snapshot();
    const user = snapshot.users.find((u) => u.emailAddress === email)!;
    return snapshot.services.filter((s) => s.ownerUserId === user.id);
  };
  async function refused(clientId: string, clientSecret: string): Promise<boolean> {
    try {
      await h.marketo.verifyCredentials(clientId, clientSecret);
      return false;
    } catch (error) {
      if (isMarketoApiError(error) && error.kind === 'invalid_credentials') return true;
      throw error;
    }
  }
  /** Whole seconds from the server's clock, as expiries are. */
  const inDays = async (days: number) =>
    new Date(Math.floor(((await env.currentTimeMs()) + days * DAY) / 1000) * 1000).toISOString();

  /** Ends a lifecycle while workers run, so that nothing of it is left behind. */
  async function endWithWorkers(handle: WorkflowHandle<typeof lifecycleWorkflow>): Promise<void> {
    await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
  }

  async function start(
    name: string,
    policy = {},
  ): Promise<{ handle: WorkflowHandle<typeof lifecycleWorkflow>; email: string }> {
    const email = `rot-ts-${name}-${Date.now()}@example.com`;
    const workflowId = await h.start(sampleRequest({ email, expiresAt: await inDays(30), policy }));
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await statusWhen(handle, (s) => s.phase === 'active');
    return { handle, email };
  }

  return { env, h, skipping, servicesOf, refused, start, endWithWorkers };
}

rotationTimeTest(
  'retires the old service when the overlap ends, and proves it dead',
  async ({ env, h, servicesOf, refused, start, endWithWorkers }) => {
    await h.withWorkers(async () => {
      const { handle, email } = await start('overlap');
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: 2 * DAY }] });
      const old = (await h.secrets.get(rotated.rotation!.retiring.secretRef))!;
      assert.equal(await refused(old.clientId, old.clientSecret), false, 'the old one works in the overlap');
      await env.sleep(DAY);
      assert.equal(
        (await handle.query(statusQuery)).rotation?.stage,
        'overlap',
        'still in the overlap after a day',
      );
      await env.sleep(DAY + HOUR);
      const done = await statusWhen(handle, (s) => s.lastRotation?.outcome === 'completed');
      assert.ok(
        Date.parse(done.lastRotation!.oldDeadAt!) >= Date.parse(rotated.rotation!.overlapEndsAt!),
        'not before the overlap ends',
      );
      assert.equal(
        await refused(old.clientId, old.clientSecret),
        true,
        'Marketo answers 401 for the old client id',
      );
      assert.equal(servicesOf(email).length, 1);
      const fresh = (await h.secrets.get(done.secretRef!))!;
      assert.equal(await refused(fresh.clientId, fresh.clientSecret), false, 'the new one still works');
      await endWithWorkers(handle);
    });
  },
);

rotationTimeTest(
  'rotateEvery falling on the reminder: one reminder and one rotation, then the lock at expiry',
  async ({ h, skipping, servicesOf, start }) => {
    await h.withWorkers(async () => {
      // Reminder at day 23 (7 days before a 30-day expiry), rotation due at day 23 too.
      const policy = { reminderLeadsMs: [7 * DAY], rotateEveryMs: 23 * DAY, rotationOverlapMs: DAY };
      const { handle, email } = await start('schedule', policy);
      const active = await handle.query(statusQuery);
      assert.ok(active.nextRotationAt, 'the next rotation is scheduled at activation');
      const final = await skipping.getHandle<typeof lifecycleWorkflow>(handle.workflowId).result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(h.notifier.of('reminder', handle.workflowId).length, 1, 'one reminder');
      const rotated = h.notifier.of('credentials-rotated', handle.workflowId);
      assert.equal(rotated.length, 1, 'one scheduled rotation');
      const rotatedAt = Date.parse(rotated[0]!.at);
      assert.ok(
        rotatedAt >= Date.parse(active.nextRotationAt) &&
          rotatedAt < Date.parse(active.nextRotationAt) + HOUR,
      );
      assert.equal(
        final.lastRotation?.outcome,
        'completed',
        'its overlap ended a day later, before the expiry',
      );
      assert.equal(
        final.timeline.find((e) => e.event === 'rotation requested')?.detail,
        'rotation 1, overlap 1d',
      );
      assert.equal(servicesOf(email).length, 1, 'one service left');
    });
  },
);

rotationTimeTest(
  'skips a scheduled rotation whose overlap would outlast the access',
  async ({ h, skipping, start }) => {
    await h.withWorkers(async () => {
      // Rotation 1 at day 14.5; rotation 2 due at day 29, one day before the expiry, with a 2-day overlap.
      const policy = { rotateEveryMs: 14.5 * DAY, rotationOverlapMs: 2 * DAY };
      const { handle } = await start('skip', policy);
      const final = await skipping.getHandle<typeof lifecycleWorkflow>(handle.workflowId).result();
      assert.equal(h.notifier.of('credentials-rotated', handle.workflowId).length, 1);
      assert.equal(final.lastRotation?.number, 1);
      assert.ok(final.timeline.some((e) => e.event === 'scheduled rotation skipped'));
    });
  },
);

rotationTimeTest(
  'says so loudly when the old service still gets a token, and tries again until it is dead',
  async ({ env, h, servicesOf, refused, start, endWithWorkers }) => {
    const real = sandboxAdminConsole(h.sandbox.baseUrl, h.sandbox.adminToken);
    // LaunchPoint answers "deleted" the first time but keeps the service: the proof must catch it.
    let lie = true;
    const lyingOnce = {
      ...real,
      deleteService: (clientId: string) => {
        if (!lie) return real.deleteService(clientId);
        lie = false;
        return Promise.resolve('deleted' as const);
      },
    };
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, adminConsole: lyingOnce }),
      async () => {
        const { handle, email } = await start('stubborn');
        await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
        const stuck = await handle.executeUpdate(confirmSwitchUpdate, { args: [{}] });
        assert.equal(stuck.rotation?.stage, 'retiring');
        assert.equal(stuck.rotation?.failedProofs, 1);
        assert.ok(stuck.rotation?.retryAt, 'a retry is scheduled');
        // Delivered beside the answer, not before it.
        const loud = await eventually(() => h.notifier.of('rotation-needs-attention', handle.workflowId)[0]);
        assert.match(loud.message, /still work/);
        const old = (await h.secrets.get(stuck.rotation.retiring.secretRef))!;
        assert.ok(old, 'the old secret is kept for the next proof');
        assert.equal(await refused(old.clientId, old.clientSecret), false);

        // The retry, a minute later, deletes it for real and proves it dead.
        await env.sleep(2 * 60_000);
        const done = await statusWhen(handle, (s) => s.lastRotation?.outcome === 'completed');
        assert.equal(done.rotation, undefined);
        assert.equal(done.lastRotation?.retiredClientId, old.clientId);
        assert.equal(servicesOf(email).length, 1);
        assert.equal(await refused(old.clientId, old.clientSecret), true);
        await endWithWorkers(handle);
      },
    );
  },
);
