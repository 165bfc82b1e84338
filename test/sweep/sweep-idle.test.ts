/**
 * maxIdle end to end on the time-skipping server: a hand-made API-only user and a lifecycle's user, neither of
 * which ever calls Marketo, are left alone at first, warned in the sweep's notifications past 30 days (a dry
 * run lists the warning without sending it as done), and locked past 45 days (the hand-made user by the sweep's
 * write, the managed one by its lifecycle's revoke). A sweep on a ledger the collector left stale judges no one and
 * says so. The sandbox's clock moves with the server's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SweepDeps } from '../../src/activities/deps';
import type { ManagedLifecycle } from '../../src/activities/types';
import type { SweepLine, SweepPolicyInput } from '../../src/domain/sweep-policy';
import { sweepWorkflow, usageCollectorWorkflow } from '../../src/workflows';
import type { SweepWorkflowInput } from '../../src/workflows/sweep/workflow';
import { sampleRequest, withTimeSkippingHarness, type Harness } from '../helpers/lifecycle-harness';
import { ManualClock } from '../helpers/sandbox';
import { statusWhen } from '../lifecycle/support';
import { seededEmails, sweepId, userOf } from './support';

const DAY = 86_400_000;
const POLICY: SweepPolicyInput = {
  maxIdle: { notifyAfterMs: '30d', lockAfterMs: '45d' },
  requireExpiry: 'off',
};

function lineOf(lines: SweepLine[], email: string): Pick<SweepLine, 'action' | 'applied'> | undefined {
  const line = lines.find((candidate) => candidate.email.toLowerCase() === email.toLowerCase());
  return line && { action: line.action, applied: line.applied };
}

describe('sweep maxIdle over 46 days', () => {
  const clock = new ManualClock(Date.now());
  let env: TestWorkflowEnvironment;
  let h: Harness;
  const [handMade] = seededEmails('idle', 1) as [string];
  const managed = sampleRequest({ expiresAt: new Date(Date.now() + 300 * DAY).toISOString() });

  withTimeSkippingHarness(
    (server, harness) => {
      env = server;
      h = harness;
      h.sandbox.operator.seedUsers({ count: 1, prefix: 'idle' });
    },
    { sandbox: { now: clock.now, tokenLifetimeSeconds: 365 * 86_400 } },
  );

  /** The sandbox's clock set to the server's, which also moves on its own while the test awaits a workflow. */
  async function syncClock(): Promise<void> {
    clock.millis = Math.max(clock.millis, await env.currentTimeMs());
  }

  async function skipDays(days: number): Promise<void> {
    await env.sleep(days * DAY);
    await syncClock();
  }

  /** One sweep with the workers the test already runs. */
  function runSweep(_: Harness, input: SweepWorkflowInput, label: string) {
    return h.client.execute(sweepWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: sweepId(label),
      args: [input],
    });
  }

  function collect(): Promise<unknown> {
    return h.client.execute(usageCollectorWorkflow, {
      taskQueue: h.taskQueue,
      workflowId: sweepId('usage'),
      args: [],
    });
  }

  /**
   * The test server answers no visibility list, which the sweep's lookup of managed lifecycles uses: here the
   * same answer comes from each lifecycle's status query (the ids are the product's own), the rest is unchanged.
   */
  function managedByQuery(): SweepDeps['managedLifecyclesOf'] {
    return async (emails) => {
      const found: Record<string, ManagedLifecycle> = {};
      for (const email of emails) {
        const workflowId = h.workflowIdFor(email);
        const expiresAt = await h.deps.sweep.currentManagedExpiry(workflowId).catch(() => null);
        if (expiresAt !== null) found[email.toLowerCase()] = { workflowId, expiresAt };
      }
      return found;
    };
  }

  it('warns past the notice and locks past the limit, for managed and hand-made users alike', async () => {
    const sweep = { ...h.deps.sweep, managedLifecyclesOf: managedByQuery() };
    await h.withWorkers(
      async () => {
        const handle = h.client.getHandle(await h.start(managed));
        await statusWhen(handle, (s) => s.phase === 'active');
        await collect();
        const first = await runSweep(h, { policy: POLICY }, 'idle-day-0');
        assert.deepEqual(first.lines, [], 'nobody is idle on the day the sweep first sees them');
        assert.equal(first.idleCheckSkipped, undefined);

        await skipDays(31);
        // The collector has not run for 31 days: the sweep judges no one, and its report says why.
        const stale = await runSweep(h, { policy: POLICY, dryRun: true }, 'idle-day-31-stale');
        assert.deepEqual(stale.lines, []);
        assert.match(
          stale.idleCheckSkipped ?? '',
          /usage ledger's last day is .*more than 3 days ago.*collect-usage/,
        );
        const reported = h.notifier.of('sweep-report').at(-1);
        assert.equal(
          reported?.details?.['idleCheckSkipped'],
          stale.idleCheckSkipped,
          'the notification says it too',
        );
        await collect();
        const dryWarn = await runSweep(h, { policy: POLICY, dryRun: true }, 'idle-day-31-dry');
        assert.deepEqual(lineOf(dryWarn.lines, handMade), { action: 'idle-warning', applied: false });
        const warned = await runSweep(h, { policy: POLICY }, 'idle-day-31');
        assert.deepEqual(lineOf(warned.lines, handMade), { action: 'idle-warning', applied: true });
        assert.deepEqual(lineOf(warned.lines, managed.email), { action: 'idle-warning', applied: true });
        assert.equal(warned.idleCheckSkipped, undefined, 'a fresh ledger judges');
        const sent = JSON.stringify(h.notifier.of('sweep-lines').map((event) => event.details));
        assert.match(sent, /idle-warning/);
        assert.equal(userOf(h, handMade).isLocked, false);

        await skipDays(15);
        await collect();
        const dryLock = await runSweep(h, { policy: POLICY, dryRun: true }, 'idle-day-46-dry');
        assert.deepEqual(lineOf(dryLock.lines, handMade), { action: 'lock', applied: false });
        assert.deepEqual(lineOf(dryLock.lines, managed.email), { action: 'revoke', applied: false });
        assert.equal(userOf(h, handMade).isLocked, false, 'the dry run changed nothing');
        const locked = await runSweep(h, { policy: POLICY }, 'idle-day-46');
        assert.deepEqual(lineOf(locked.lines, handMade), { action: 'lock', applied: true });
        assert.deepEqual(lineOf(locked.lines, managed.email), { action: 'revoke', applied: true });
        await syncClock();
        assert.equal(userOf(h, handMade).isLocked, true);
        const ended = await statusWhen(handle, (s) => s.phase === 'deactivated');
        assert.equal(ended.deactivation?.cause, 'revoked');
        assert.equal(userOf(h, managed.email).isLocked, true);
      },
      { deps: { ...h.deps, sweep } },
    );
  });
});
