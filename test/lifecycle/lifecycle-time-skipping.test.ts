/**
 * Month-long lifecycles in seconds on the time-skipping test server: the reminder before expiry, the lock at
 * expiry, an extension that moves both, drift corrected at reminder time, and continue-as-new under many
 * extensions. Workflow time jumps; the sandbox keeps the real clock, which is fine because the workflow locks a
 * user by setting its expiry to the activity's (real) now.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment, TimeSkippingWorkflowClient } from '@temporalio/testing';
import type { lifecycleWorkflow } from '../../src/workflows';
import { extendUpdate, statusQuery } from '../../src/workflows/messages';
import {
  eventually,
  sampleRequest,
  withTimeSkippingHarness,
  type Harness,
  timeSkippingClient,
} from '../helpers/lifecycle-harness';
import { statusWhen } from './support';

const DAY = 86_400_000;
const LEAD = 7 * DAY;

/** Whole seconds, as Marketo stores them, so that dates compare exactly. */
function inDays(days: number, from = Date.now()): string {
  return new Date(Math.floor((from + days * DAY) / 1000) * 1000).toISOString();
}

/**
 * Continue-as-new gets a test server of its own: on CI it has hung after the other tests on a shared server
 * (its clock never skipped to the final expiry), and passed alone every time.
 */
type Part = 'expiry, extension and drift' | 'continue-as-new';

function lifecycleOnTimeSkipping(part: Part): void {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  /** Unlocks time skipping while it waits for a result; the harness's plain client does not. */
  let skipping: TimeSkippingWorkflowClient;
  withTimeSkippingHarness(
    (server, harness) => {
      env = server;
      h = harness;
      skipping = timeSkippingClient(env, h);
    },
    { sandbox: { rateLimit: { calls: 1000, windowMs: 20_000 } } },
  );

  const sandboxUser = (email: string) => h.sandbox.snapshot().users.find((u) => u.emailAddress === email);
  const active = (handle: WorkflowHandle) => statusWhen(handle, (s) => s.phase === 'active');
  const startedAt = async () => env.currentTimeMs();

  /** Registers the test only in its own part's suite, so that nothing reads as skipped. */
  const itIn =
    (of: Part) =>
    (name: string, body: () => Promise<void>): void => {
      if (of === part) void it(name, body);
    };

  itIn('expiry, extension and drift')(
    'a 30-day lifecycle reminds 7 days before expiry and locks the user at expiry, in seconds',
    async () => {
      const request = sampleRequest({
        email: `ts-30d-${Date.now()}@example.com`,
        expiresAt: inDays(30, await startedAt()),
        policy: { reminderLeadsMs: [LEAD] },
      });
      await h.withWorkers(async () => {
        const workflowId = await h.start(request);
        await active(h.client.getHandle(workflowId));
        assert.equal(h.notifier.of('reminder', workflowId).length, 0, 'no reminder 30 days ahead');
        assert.equal(sandboxUser(request.email)?.isLocked, false);

        const final = await skipping.getHandle<typeof lifecycleWorkflow>(workflowId).result();
        assert.equal(final.phase, 'deactivated');
        assert.equal(final.deactivation?.cause, 'expired');
        assert.equal(final.deactivation?.outcome, 'locked');
        assert.ok(
          Date.parse(final.deactivation.at) >= Date.parse(request.expiresAt),
          'not before the expiry',
        );

        const reminders = h.notifier.of('reminder', workflowId);
        assert.equal(reminders.length, 1);
        const remindedAt = Date.parse(reminders[0]!.at);
        assert.ok(remindedAt >= Date.parse(request.expiresAt) - LEAD, 'not earlier than the lead');
        assert.ok(remindedAt < Date.parse(request.expiresAt) - LEAD + DAY, 'at the lead, not at expiry');
        assert.equal(reminders[0]!.details?.['expiresAt'], request.expiresAt);
        assert.equal(h.notifier.of('deactivated', workflowId).length, 1);
        assert.equal(sandboxUser(request.email)?.isLocked, true, 'locked in Marketo');
      });
      // "In seconds": the server's clock passed the 30 days while the test ran. The wall time that took depends
      // on the machine's load, so it is not asserted.
      const serverNow = await env.currentTimeMs();
      assert.ok(serverNow >= Date.parse(request.expiresAt), `the server's clock is at ${serverNow}`);
    },
  );

  itIn('expiry, extension and drift')(
    'an extension moves the expiry: a second reminder for the new date, and the lock at the new date',
    async () => {
      const t0 = await startedAt();
      const request = sampleRequest({
        email: `ts-extend-${Date.now()}@example.com`,
        expiresAt: inDays(30, t0),
        policy: { reminderLeadsMs: [LEAD] },
      });
      const later = inDays(60, t0);
      await h.withWorkers(async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle(workflowId);
        await active(handle);
        await env.sleep(24 * DAY);
        const first = await eventually(() => h.notifier.of('reminder', workflowId)[0]);
        assert.equal(first.details?.['expiresAt'], request.expiresAt);

        const extended = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: later }] });
        assert.equal(extended.expiresAt, later);
        assert.equal(extended.extensions, 1);
        assert.equal(sandboxUser(request.email)?.expiresAt, later, 'Marketo has the new expiry');

        const final = await skipping.getHandle<typeof lifecycleWorkflow>(workflowId).result();
        assert.equal(final.phase, 'deactivated');
        assert.equal(final.deactivation?.cause, 'expired');
        assert.ok(
          Date.parse(final.deactivation.at) >= Date.parse(later),
          'locked at the new expiry, not the old',
        );
        const reminders = h.notifier.of('reminder', workflowId);
        assert.deepEqual(
          reminders.map((r) => r.details?.['expiresAt']),
          [request.expiresAt, later],
        );
        assert.ok(Date.parse(reminders[1]!.at) >= Date.parse(later) - LEAD);
        assert.equal(sandboxUser(request.email)?.isLocked, true);
      });
    },
  );

  itIn('expiry, extension and drift')(
    'an expiry moved by hand in Marketo is found at reminder time and set back to the workflow date',
    async () => {
      const t0 = await startedAt();
      const request = sampleRequest({
        email: `ts-drift-${Date.now()}@example.com`,
        expiresAt: inDays(30, t0),
        policy: { reminderLeadsMs: [LEAD] },
      });
      const byHand = inDays(90, t0);
      await h.withWorkers(async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle(workflowId);
        const s = await active(handle);
        // Somebody in the Marketo UI gives the user two more months.
        await h.marketo.updateUser(s.userId!, { expiresAt: new Date(byHand) });
        assert.equal(sandboxUser(request.email)?.expiresAt, byHand);

        await env.sleep(24 * DAY);
        const drifted = await statusWhen(handle, (st) => st.drift.length > 0);
        assert.equal(drifted.drift.length, 1);
        const drift = drifted.drift[0]!;
        assert.equal(drift.corrected, true);
        assert.equal(drift.workflowExpiresAt, request.expiresAt);
        assert.equal(Date.parse(drift.marketoExpiresAt ?? ''), Date.parse(byHand));
        await eventually(() =>
          sandboxUser(request.email)?.expiresAt === request.expiresAt ? true : undefined,
        );
        const notified = await eventually(() => h.notifier.of('drift', workflowId)[0]);
        assert.equal(notified.details?.['corrected'], true);
        assert.equal(drifted.phase, 'active');

        const final = await skipping.getHandle<typeof lifecycleWorkflow>(workflowId).result();
        assert.equal(final.phase, 'deactivated');
        assert.equal(final.deactivation?.cause, 'expired');
        assert.ok(Date.parse(final.deactivation.at) < Date.parse(byHand), 'the workflow date won');
        assert.equal(final.drift.length, 1, 'corrected drift is not found again at expiry');
        assert.equal(sandboxUser(request.email)?.isLocked, true);
      });
    },
  );

  itIn('continue-as-new')(
    'continues as new under many extensions, keeps its status, and still deactivates at the final expiry',
    async () => {
      const t0 = await startedAt();
      const request = sampleRequest({
        email: `ts-can-${Date.now()}@example.com`,
        expiresAt: inDays(30, t0),
        policy: { reminderLeadsMs: [LEAD] },
      });
      const EXTENSIONS = 25;
      const finalExpiry = inDays(30 + EXTENSIONS, t0);
      await h.withWorkers(async () => {
        const workflowId = await h.start(request, { continueAsNewAfterEvents: 50 });
        const handle = h.client.getHandle(workflowId);
        const firstRunId = (await handle.describe()).runId;
        await active(handle);
        for (let i = 1; i <= EXTENSIONS; i++) {
          const s = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: inDays(30 + i, t0) }] });
          assert.equal(s.extensions, i);
        }
        const status = await statusWhen(handle, (st) =>
          st.timeline.some((e) => e.event === 'continued as new'),
        );
        assert.equal(status.extensions, EXTENSIONS, 'the count survives continue-as-new');
        assert.equal(status.expiresAt, finalExpiry);
        assert.equal(status.timeline[0]?.event, 'requested', 'the timeline survives from the first run');
        assert.equal(status.timeline.filter((e) => e.event === 'extended').length, EXTENSIONS);
        assert.equal(status.userId, sandboxUser(request.email)?.userid);

        const latestRunId = (await handle.describe()).runId;
        assert.notEqual(latestRunId, firstRunId, 'a new run carries on');
        // Its status, not its last history event: the Java test server has answered a history that ended two
        // events short (workflow task scheduled, started) for a run that had already continued as new.
        const firstRun = await h.client.getHandle(workflowId, firstRunId).describe();
        assert.equal(firstRun.status.name, 'CONTINUED_AS_NEW', 'the first run continued as new');

        const final = await skipping.getHandle<typeof lifecycleWorkflow>(workflowId).result();
        assert.equal(final.phase, 'deactivated');
        assert.equal(final.deactivation?.cause, 'expired');
        assert.equal(final.extensions, EXTENSIONS);
        assert.ok(Date.parse(final.deactivation.at) >= Date.parse(finalExpiry), 'at the final expiry');
        assert.equal(sandboxUser(request.email)?.isLocked, true);
        const reminded = h.notifier.of('reminder', workflowId).map((r) => r.details?.['expiresAt']);
        assert.deepEqual(reminded, [finalExpiry], 'one reminder, for the final expiry');
        assert.equal(
          h.sandbox.snapshot().users.filter((u) => u.emailAddress === request.email).length,
          1,
          'no run made a second user',
        );
        const status2 = await handle.query(statusQuery);
        assert.equal(status2.phase, 'deactivated');
      });
    },
  );
}

for (const part of ['expiry, extension and drift', 'continue-as-new'] as const) {
  describe(`lifecycle on the time-skipping server: ${part}`, () => lifecycleOnTimeSkipping(part));
}
