/**
 * The sweep workflow end to end on a Temporal dev server and the Marketo sandbox: users made by hand without
 * an expiry, expired users an admin unlocked, exempt users, users whose lifecycle's date someone moved, the
 * orchestrator's own user, and the dry run. Each scenario has its own sandbox, since a sweep reads every user.
 */
import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { after, before, describe, it } from 'node:test';
import { WorkflowClient } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SweepReport } from '../../src/domain/sweep-policy';
import type { MarketoClient } from '../../src/marketo/client';
import { createDataConverter } from '../../src/security/data-converter';
import { createSweepDeps } from '../../src/app/sweep-deps';
import { sweepWorkflow, type lifecycleWorkflow } from '../../src/workflows';
import { extendUpdate, revokeUpdate, statusQuery } from '../../src/workflows/messages';
import {
  eventually,
  sampleRequest,
  withDevServerHarness,
  type Harness,
  type HarnessBlock,
} from '../helpers/lifecycle-harness';
import { statusWhen, withAlteredWorkers } from '../lifecycle/support';
import {
  deferred,
  ORCHESTRATOR_EMAIL,
  runSweep,
  seededEmails,
  sweepId,
  terminateLifecycles,
  userOf,
  userRecords,
  usersByEmail,
  type UserRecord,
  writesCounted,
} from './support';

const DAY = 86_400_000;

function linesOf(report: SweepReport, action?: string) {
  return report.lines.filter((l) => action === undefined || l.action === action);
}

function lineFor(report: SweepReport, email: string) {
  const line = report.lines.find((l) => l.email === email);
  assert.ok(line, `a report line for ${email}: ${JSON.stringify(report.lines)}`);
  return line;
}

/** Counts that add up: every API-only user read lands in exactly one bucket. */
function assertCountsAddUp(report: SweepReport): void {
  const c = report.counts;
  assert.equal(
    c.compliant + c.locked + c.expirySet + c.driftCorrected + c.exempt + c.reported + c.errors,
    c.scanned,
    JSON.stringify(c),
  );
  assert.equal(
    report.lines.length + report.moreLines,
    c.locked + c.expirySet + c.driftCorrected + c.reported + c.errors,
    'one line per user acted on, reported or failed',
  );
}

/** The sandbox's API-only users, as a sweep sees them. */
function apiOnlyCount(h: Harness): number {
  return userRecords(h).filter((u) => u.apiOnly).length;
}

describe('sweep against the Marketo sandbox', () => {
  let env: TestWorkflowEnvironment;
  let harness: HarnessBlock['another'];
  // Each scenario asks for a harness of its own; the block's first one stays idle.
  withDevServerHarness((devServer, _, block) => {
    env = devServer;
    harness = block.another;
  });

  describe('users made by hand without an expiry', () => {
    let h: Harness;
    const hand = seededEmails('hand', 3);
    const people = seededEmails('person', 2);
    let orchestrator: UserRecord;

    before(async () => {
      h = await harness();
      h.sandbox.operator.seedUsers({ count: 3, prefix: 'hand' });
      h.sandbox.operator.seedUsers({ count: 2, prefix: 'person', apiOnly: false });
      orchestrator = userOf(h, ORCHESTRATOR_EMAIL);
      assert.equal(orchestrator.apiOnly, true);
      assert.equal(orchestrator.expiresAt, null, 'the orchestrator has no expiry: the sweep would act on it');
    });

    it('requireExpiry report: lists them, changes nothing, and notifies the report', async () => {
      const before = userRecords(h);
      const report = await runSweep(h, { policy: { requireExpiry: 'report' } });
      assert.deepEqual(userRecords(h), before, 'no user changed');
      assert.equal(writesCounted(h), 0);
      assert.equal(report.dryRun, false);
      assert.deepEqual(report.counts, {
        scanned: 4,
        compliant: 0,
        locked: 0,
        expirySet: 0,
        driftCorrected: 0,
        exempt: 1,
        reported: 3,
        errors: 0,
      });
      assertCountsAddUp(report);
      assert.deepEqual(
        report.lines.map((l) => l.email).sort(),
        hand,
        'only the API-only users, not the people, not itself',
      );
      for (const line of report.lines) {
        assert.deepEqual(line, { email: line.email, action: 'report', reason: 'no expiry', applied: false });
      }
      const sent = h.notifier.of('sweep-report', report.sweepId);
      assert.equal(sent.length, 1, 'one sweep-report notification');
      assert.equal(sent[0]?.message, 'Sweep: 4 API-only users scanned, 0 acted on, 3 reported, 0 errors');
      assert.deepEqual(sent[0]?.details, {
        counts: report.counts,
        dryRun: false,
        lineParts: 1,
        failedLineParts: 0,
      });
      assert.deepEqual(h.notifier.of('sweep-lines', report.sweepId)[0]?.details?.['lines'], report.lines);
      assert.deepEqual(report.notifications, { lineParts: 1, failedLineParts: 0, reportDelivered: true });
    });

    it('requireExpiry set: each gets now plus the grace; people and the orchestrator are untouched', async () => {
      const peopleBefore = people.map((e) => userOf(h, e));
      const startedMs = Date.now();
      const report = await runSweep(h, { policy: { requireExpiry: 'set', expiryGraceMs: '2d' } });
      const finishedMs = Date.now();
      assert.equal(report.counts.expirySet, 3);
      assert.equal(report.counts.exempt, 1);
      assert.equal(report.counts.scanned, 4);
      assertCountsAddUp(report);
      for (const email of hand) {
        const user = userOf(h, email);
        const line = lineFor(report, email);
        assert.equal(line.action, 'set-expiry');
        assert.equal(line.applied, true);
        assert.equal(user.expiresAt, line.expiresAt, 'Marketo holds the date the report gives');
        const at = Date.parse(user.expiresAt);
        assert.ok(
          at >= startedMs + 2 * DAY - 1000 && at <= finishedMs + 2 * DAY,
          `${email}: ${user.expiresAt}`,
        );
        assert.equal(user.isLocked, false);
      }
      assert.deepEqual(
        people.map((e) => userOf(h, e)),
        peopleBefore,
      );
      assert.deepEqual(userOf(h, ORCHESTRATOR_EMAIL), orchestrator, 'the orchestrator is never touched');
      // The report counts what the sandbox shows: exactly the acted-on users were written, once each.
      const written = userRecords(h).filter((u) => u.expiresAtSetAt !== null);
      assert.deepEqual(written.map((u) => u.emailAddress).sort(), hand);
      assert.equal(writesCounted(h), report.counts.expirySet);
      const sent = h.notifier.of('sweep-report', report.sweepId);
      assert.equal(sent[0]?.message, 'Sweep: 4 API-only users scanned, 3 acted on, 0 reported, 0 errors');
    });

    it('a second sweep finds them compliant and writes nothing', async () => {
      const before = userRecords(h);
      const writes = writesCounted(h);
      const report = await runSweep(h, { policy: { requireExpiry: 'set', expiryGraceMs: '2d' } });
      assert.equal(report.counts.compliant, 3);
      assert.equal(report.counts.expirySet, 0);
      assert.deepEqual(report.lines, []);
      assert.equal(writesCounted(h), writes);
      assert.deepEqual(userRecords(h), before);
    });
  });

  describe('expired users an admin unlocked', () => {
    let h: Harness;
    const seeded = seededEmails('unlocked', 1)[0]!;
    const invited = `invited-${Date.now()}@example.com`;

    before(async () => {
      h = await harness();
      // One made by hand with a date already past, one invited with an expiry a moment away, waited out.
      h.sandbox.operator.seedUsers({
        count: 1,
        prefix: 'unlocked',
        expiresAt: new Date(Date.now() - 3 * DAY).toISOString(),
      });
      await h.marketo.inviteUser({
        emailAddress: invited,
        firstName: 'Near',
        lastName: 'Expiry',
        apiOnly: true,
        userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 0 }],
        expiresAt: new Date(Date.now() + 2_000),
      });
      assert.equal(userOf(h, invited).isLocked, false);
      await eventually(() => (userOf(h, invited).isLocked ? true : undefined), 10_000);
      for (const email of [seeded, invited]) {
        assert.equal(userOf(h, email).isLocked, true);
        h.sandbox.operator.unlockUser(email);
        const user = userOf(h, email);
        assert.equal(user.isLocked, false, 'expired but not locked');
        assert.ok(Date.parse(user.expiresAt!) < Date.now());
      }
    });

    it('lockExpired false: only reported, still unlocked', async () => {
      const before = userRecords(h);
      const report = await runSweep(h, { policy: { requireExpiry: 'off', lockExpired: false } });
      assert.equal(report.counts.reported, 2);
      assert.equal(report.counts.locked, 0);
      assertCountsAddUp(report);
      for (const email of [seeded, invited]) {
        const line = lineFor(report, email);
        assert.equal(line.action, 'report');
        assert.match(line.reason, /^expired at .* but not locked$/);
      }
      assert.deepEqual(userRecords(h), before);
    });

    it('lockExpired true: locked again, at the time of the sweep', async () => {
      const startedMs = Date.now();
      const report = await runSweep(h, { policy: { requireExpiry: 'off', lockExpired: true } });
      assert.equal(report.counts.locked, 2);
      assert.equal(report.counts.reported, 0);
      assertCountsAddUp(report);
      for (const email of [seeded, invited]) {
        const user = userOf(h, email);
        const line = lineFor(report, email);
        assert.equal(line.action, 'lock');
        assert.equal(line.applied, true);
        assert.equal(user.isLocked, true, `${email} is locked again`);
        assert.equal(user.expiresAt, line.expiresAt);
        assert.ok(
          Date.parse(line.expiresAt!) >= startedMs - 1000 && Date.parse(line.expiresAt!) <= Date.now(),
        );
        assert.equal(user.pastLocks.length, 1, 'the lock the admin lifted, and no other');
      }
      assert.equal(userOf(h, ORCHESTRATOR_EMAIL).isLocked, false);
      assert.equal(writesCounted(h), 2);
    });
  });

  describe('exempt users', () => {
    it('a pattern (any case) keeps users untouched while the others get an expiry', async () => {
      const h = await harness();
      h.sandbox.operator.seedUsers({ count: 2, prefix: 'keep' });
      h.sandbox.operator.seedUsers({ count: 2, prefix: 'drop' });
      const keep = seededEmails('keep', 2);
      const keepBefore = keep.map((e) => userOf(h, e));
      const report = await runSweep(h, {
        policy: { requireExpiry: 'set', exempt: ['nobody@example.com', 'KEEP-*@Sandbox.Local'] },
      });
      assert.deepEqual(
        keep.map((e) => userOf(h, e)),
        keepBefore,
      );
      for (const email of seededEmails('drop', 2)) assert.notEqual(userOf(h, email).expiresAt, null);
      assert.equal(report.counts.exempt, 3, 'two by pattern, and the orchestrator');
      assert.equal(report.counts.expirySet, 2);
      assertCountsAddUp(report);
      assert.deepEqual(report.lines.map((l) => l.email).sort(), seededEmails('drop', 2));
    });
  });

  describe('users a lifecycle manages', () => {
    let h: Harness;
    let driftedId: string;
    let driftedUserId: string;
    let driftedEmail: string;
    let steadyEmail: string;
    let wanted: string;

    before(async () => {
      h = await harness();
      const stamp = Date.now().toString(36);
      const drifted = sampleRequest({
        email: `managed-drift-${stamp}@example.com`,
        role: { name: `Sweep Drift ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
      });
      const steady = sampleRequest({
        email: `managed-steady-${stamp}@example.com`,
        role: { name: `Sweep Steady ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
      });
      driftedEmail = drifted.email;
      steadyEmail = steady.email;
      const status = await h.withWorkers(async () => {
        driftedId = await h.start(drifted);
        const steadyId = await h.start(steady);
        await statusWhen(h.client.getHandle(steadyId), (s) => s.phase === 'active');
        return statusWhen(h.client.getHandle(driftedId), (s) => s.phase === 'active');
      });
      wanted = status.expiresAt;
      driftedUserId = status.userId!;
      // Someone extends the user by hand in Marketo, past what its lifecycle granted.
      await h.marketo.updateUser(status.userId!, { expiresAt: new Date(Date.parse(wanted) + 90 * DAY) });
      assert.equal(Date.parse(userOf(h, driftedEmail).expiresAt!), Date.parse(wanted) + 90 * DAY);
    });
    after(() => terminateLifecycles(h));

    it("moves a drifted user back to its lifecycle's date and leaves the others", async () => {
      const steadyBefore = userOf(h, steadyEmail);
      // Workers stay up after the sweep: the drifted lifecycle corrects its user on the sweep's signal.
      const report = await h.withWorkers(async () => {
        const result = await h.client.execute(sweepWorkflow, {
          taskQueue: h.taskQueue,
          workflowId: sweepId('drift'),
          args: [{}],
        });
        await eventually(() =>
          Date.parse(userOf(h, driftedEmail).expiresAt!) === Date.parse(wanted) ? true : undefined,
        );
        const status = await h.client.getHandle<typeof lifecycleWorkflow>(driftedId).query(statusQuery);
        assert.equal(status.drift.length, 1, 'the lifecycle recorded the drift it corrected');
        assert.equal(status.drift[0]?.corrected, true);
        return result;
      });
      assert.equal(report.counts.driftCorrected, 1);
      assert.equal(report.counts.compliant, 1, 'the lifecycle whose date nobody moved');
      assert.equal(report.counts.exempt, 1);
      assertCountsAddUp(report);
      const line = lineFor(report, driftedEmail);
      assert.equal(line.action, 'correct-drift');
      assert.equal(line.applied, true);
      assert.equal(Date.parse(line.expiresAt!), Date.parse(wanted));
      assert.match(line.reason, /its lifecycle has/);
      assert.equal(Date.parse(userOf(h, driftedEmail).expiresAt!), Date.parse(wanted));
      assert.deepEqual(userOf(h, steadyEmail), steadyBefore);
      assert.deepEqual(linesOf(report, 'correct-drift').length, 1);
    });

    it('a second sweep finds both compliant', async () => {
      const writes = writesCounted(h);
      const report = await runSweep(h, {});
      assert.equal(report.counts.driftCorrected, 0);
      assert.equal(report.counts.compliant, 2);
      assert.equal(writesCounted(h), writes);
    });

    /**
     * Holds the sweep's read of one user until the test has changed its lifecycle: on a real instance the same
     * window is the time the sweep takes to reach the user (minutes, at 100 calls per 20 s).
     */
    function gatedSweepRead(userId: string) {
      const reached = deferred();
      const release = deferred();
      const gate = (real: MarketoClient): MarketoClient =>
        new Proxy(real, {
          get(target, prop) {
            if (prop === 'getUser') {
              return async (userid: string, ...rest: unknown[]) => {
                if (userid === userId && Context.current().info.workflowType === 'sweepWorkflow') {
                  reached.resolve();
                  await release.promise;
                }
                return target.getUser(userid, ...(rest as []));
              };
            }
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          },
        });
      return { reached, release, gate };
    }

    it('a lifecycle extended while the sweep is under way is not a drift', async () => {
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(driftedId);
      const { reached, release, gate } = gatedSweepRead(driftedUserId);
      await withAlteredWorkers(
        env,
        h,
        (deps) => ({ ...deps, marketo: gate(deps.marketo) }),
        async () => {
          const sweep = await h.client.start(sweepWorkflow, {
            taskQueue: h.taskQueue,
            workflowId: sweepId('extend-race'),
            args: [{}],
          });
          await reached.promise;
          const later = new Date(Date.parse(wanted) + 5 * DAY).toISOString();
          const extended = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: later }] });
          assert.equal(Date.parse(extended.expiresAt), Date.parse(later));
          assert.equal(
            Date.parse(userOf(h, driftedEmail).expiresAt!),
            Date.parse(later),
            'Marketo moved too',
          );
          release.resolve();
          const report = await sweep.result();
          assert.equal(report.counts.driftCorrected, 0, `no drift: ${JSON.stringify(report.lines)}`);
          assert.equal(report.counts.compliant, 2);
          assert.equal(Date.parse(userOf(h, driftedEmail).expiresAt!), Date.parse(later), 'still extended');
          const status = await handle.query(statusQuery);
          assert.equal(status.drift.length, 1, 'only the earlier, real drift is on record');
          wanted = later;
        },
      );
    });

    it('a lifecycle revoked while the sweep is under way stays locked', async () => {
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(driftedId);
      const { reached, release, gate } = gatedSweepRead(driftedUserId);
      await withAlteredWorkers(
        env,
        h,
        (deps) => ({ ...deps, marketo: gate(deps.marketo) }),
        async () => {
          const sweep = await h.client.start(sweepWorkflow, {
            taskQueue: h.taskQueue,
            workflowId: sweepId('revoke-race'),
            args: [{}],
          });
          await reached.promise;
          const revoked = await handle.executeUpdate(revokeUpdate, {
            args: [{ reason: 'left the company' }],
          });
          assert.equal(revoked.phase, 'deactivated');
          assert.equal(userOf(h, driftedEmail).isLocked, true, 'the revoke locked the user');
          release.resolve();
          const report = await sweep.result();
          assert.equal(
            report.lines.find((l) => l.email === driftedEmail)?.action,
            undefined,
            `the sweep left the revoked user alone: ${JSON.stringify(report.lines)}`,
          );
          assert.equal(userOf(h, driftedEmail).isLocked, true, 'the revoked user is still locked');
        },
      );
    });
  });

  describe('two Marketo instances on one Temporal namespace', () => {
    let a: Harness;
    let b: Harness;
    after(() => terminateLifecycles(a));

    it('a lifecycle of one instance does not decide the expiry of a same-email user of the other', async () => {
      a = await harness();
      b = await harness();
      const stamp = Date.now().toString(36);
      const request = sampleRequest({
        email: `shared-${stamp}@example.com`,
        role: { name: `Sweep Shared ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
      });
      // Instance B has a user of the same email, made by hand there, without an expiry.
      await b.marketo.inviteUser({
        emailAddress: request.email,
        firstName: 'Other',
        lastName: 'Instance',
        apiOnly: true,
        userRoleWorkspaces: [{ accessRoleId: 102, workspaceId: 0 }],
      });
      const before = userOf(b, request.email);
      assert.equal(before.expiresAt, null);
      // One payload key for the whole deployment (MARKETO_API_USERS_PAYLOAD_KEY set for every worker): B's
      // sweeping worker can read A's lifecycles. (With different keys the status query fails to decode and
      // the sweep silently skips the lifecycle; with no poller on A's queue it waits about 30 s first.)
      const sharedKey = new WorkflowClient({
        connection: env.connection,
        dataConverter: createDataConverter(a.keyring),
      });
      const report = await a.withWorkers(async () => {
        await statusWhen(a.client.getHandle(await a.start(request)), (s) => s.phase === 'active');
        return withAlteredWorkers(
          env,
          b,
          (deps) => ({
            ...deps,
            sweep: createSweepDeps(
              sharedKey,
              { taskQueue: b.taskQueue, workflowIdFor: (email) => b.workflowIdFor(email) },
              deps.sweep.memory,
            ),
          }),
          () =>
            b.client.execute(sweepWorkflow, {
              taskQueue: b.taskQueue,
              workflowId: sweepId('two-instances'),
              args: [{ policy: { requireExpiry: 'report' } }],
            }),
        );
      });
      assert.deepEqual(
        report.lines.find((l) => l.email === request.email),
        { email: request.email, action: 'report', reason: 'no expiry', applied: false },
        "B's user is B's: reported for its missing expiry, not given A's lifecycle date",
      );
      assert.deepEqual(userOf(b, request.email), before);
    });
  });

  describe('dry run', () => {
    let h: Harness;
    let dry: SweepReport;
    let managedEmail: string;
    const policy = { requireExpiry: 'set' as const, lockExpired: true };

    before(async () => {
      h = await harness();
      h.sandbox.operator.seedUsers({ count: 2, prefix: 'bare' });
      h.sandbox.operator.seedUsers({
        count: 1,
        prefix: 'lapsed',
        expiresAt: new Date(Date.now() - DAY).toISOString(),
      });
      h.sandbox.operator.unlockUser(seededEmails('lapsed', 1)[0]!);
      h.sandbox.operator.seedUsers({
        count: 1,
        prefix: 'fine',
        expiresAt: new Date(Date.now() + DAY).toISOString(),
      });
      const stamp = Date.now().toString(36);
      const request = sampleRequest({
        email: `dry-managed-${stamp}@example.com`,
        role: { name: `Sweep Dry ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
      });
      managedEmail = request.email;
      const { userId, expiresAt } = await h.withWorkers(async () =>
        statusWhen(h.client.getHandle(await h.start(request)), (s) => s.phase === 'active'),
      );
      await h.marketo.updateUser(userId!, { expiresAt: new Date(Date.parse(expiresAt) - DAY) });
      h.sandbox.operator.resetCounters();
    });
    after(() => terminateLifecycles(h));

    it('changes nothing in the sandbox and reports what it would do', async () => {
      const before = userRecords(h);
      dry = await runSweep(h, { dryRun: true, policy });
      assert.deepEqual(userRecords(h), before, 'every user record as it was');
      for (const u of before) {
        // Spelled out, the fields a change would touch.
        const now = usersByEmail(h).get(u.emailAddress)!;
        assert.deepEqual(
          [now.expiresAt, now.expiresAtSetAt, now.isLocked, now.lockedAt],
          [u.expiresAt, u.expiresAtSetAt, u.isLocked, u.lockedAt],
        );
      }
      assert.equal(writesCounted(h), 0, 'not one update.json');
      assert.equal(dry.dryRun, true);
      assert.deepEqual(dry.counts, {
        scanned: 6,
        compliant: 1,
        locked: 1,
        expirySet: 2,
        driftCorrected: 1,
        exempt: 1,
        reported: 0,
        errors: 0,
      });
      assertCountsAddUp(dry);
      assert.ok(dry.lines.every((l) => !l.applied));
      assert.deepEqual(
        dry.lines.map((l) => `${l.email} ${l.action}`).sort(),
        [
          `${managedEmail} correct-drift`,
          `${seededEmails('bare', 2)[0]} set-expiry`,
          `${seededEmails('bare', 2)[1]} set-expiry`,
          `${seededEmails('lapsed', 1)[0]} lock`,
        ].sort(),
      );
      const sent = h.notifier.of('sweep-report', dry.sweepId);
      assert.equal(
        sent[0]?.message,
        'Dry-run sweep: 6 API-only users scanned, 4 to act on, 0 reported, 0 errors',
      );
    });

    it('the real sweep then does what the dry run said, and its counts match the sandbox', async () => {
      const before = usersByEmail(h);
      const real = await h.withWorkers(async () => {
        const result = await h.client.execute(sweepWorkflow, {
          taskQueue: h.taskQueue,
          workflowId: sweepId('after-dry-run'),
          args: [{ policy }],
        });
        // A managed user is corrected by its own lifecycle, on the sweep's signal.
        for (const line of result.lines.filter((l) => l.action === 'correct-drift')) {
          await eventually(() => (userOf(h, line.email).expiresAt === line.expiresAt ? true : undefined));
        }
        return result;
      });
      assert.deepEqual(
        real.lines.map((l) => `${l.email} ${l.action}`).sort(),
        dry.lines.map((l) => `${l.email} ${l.action}`).sort(),
      );
      assert.deepEqual(real.counts, dry.counts);
      assert.ok(real.lines.every((l) => l.applied));
      // Every user the report names changed, to the date it gives; nobody else did.
      const after = usersByEmail(h);
      const changed = [...after.values()].filter(
        (u) => u.expiresAtSetAt !== before.get(u.emailAddress)?.expiresAtSetAt,
      );
      assert.deepEqual(changed.map((u) => u.emailAddress).sort(), real.lines.map((l) => l.email).sort());
      for (const line of real.lines) assert.equal(after.get(line.email)?.expiresAt, line.expiresAt);
      const locked = [...after.values()].filter((u) => u.isLocked && !before.get(u.emailAddress)?.isLocked);
      assert.equal(locked.length, real.counts.locked);
      assert.equal(writesCounted(h), real.counts.locked + real.counts.expirySet + real.counts.driftCorrected);
      assert.equal(real.counts.scanned, apiOnlyCount(h));
      assert.equal(after.get(ORCHESTRATOR_EMAIL)?.expiresAtSetAt, null);
    });
  });
});
