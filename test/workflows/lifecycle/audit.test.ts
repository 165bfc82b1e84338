/**
 * The lifecycle's audit events with mocked activities: each step that changes access appends one event with its
 * actor and reason, under an id made of the lifecycle's identity and the step, so a retry stores it once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { checkDriftSignal, extendUpdate, revokeUpdate } from '../../../src/workflows/messages';
import { inDays, mockActivities, request, start, startLifecycleTestEnv, statusWhen } from './support';
import type { LifecycleTestEnv, Mocks } from './support';

function kinds(mocks: Mocks): string[] {
  return mocks.audits.map((a) => a.kind);
}

describe('lifecycle audit events (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('onboarded, extended and revoked, each with its actor and reason and an id of its own', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const now = await t.now();
      const handle = await start(t, queue, request({ expiresAt: inDays(30, now), reason: 'CRM sync' }), {
        actor: 'ada',
      });
      await statusWhen(handle, (s) => s.phase === 'active');
      await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: inDays(40, now), actor: 'bob' }] });
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'vendor offboarded', actor: 'carol' }] });
      await handle.result();
      assert.deepEqual(kinds(mocks), ['onboarded', 'extended', 'revoked']);
      const [onboarded, extended, revoked] = mocks.audits;
      assert.deepEqual(
        mocks.audits.map((a) => [a.actor, a.reason]),
        [
          ['ada', 'CRM sync'],
          ['bob', null],
          ['carol', 'vendor offboarded'],
        ],
      );
      assert.equal(onboarded!.detail.clientId, 'client-1');
      assert.equal(extended!.detail.to, inDays(40, now));
      assert.equal(revoked!.detail.outcome, 'locked');
      for (const event of mocks.audits) {
        assert.equal(event.workflowId, handle.workflowId);
        assert.ok(event.id.startsWith(`${handle.workflowId}/`), event.id);
        assert.equal(event.email, mocks.user()?.emailAddress);
      }
      assert.equal(new Set(mocks.audits.map((a) => a.id)).size, 3, 'three events, three ids');
    });
  });

  it('an expiry is the lifecycle acting on its own; a drift correction is recorded too', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      await statusWhen(handle, (s) => s.phase === 'active');
      // Somebody moves the expiry in Marketo; the sweep asks the lifecycle to check.
      const marketoExpiry = inDays(90, await t.now());
      await mocks.activities.setUserExpiry!(mocks.user()!.userid as never, marketoExpiry as never);
      await handle.signal(checkDriftSignal);
      await statusWhen(handle, (s) => s.drift.length === 1);
      await handle.result();
      assert.deepEqual(kinds(mocks), ['onboarded', 'drift-corrected', 'expired']);
      const drift = mocks.audits[1]!;
      assert.equal(drift.actor, 'lifecycle');
      assert.equal(drift.detail.marketoExpiresAt, marketoExpiry);
      const expired = mocks.audits[2]!;
      assert.equal(expired.actor, 'lifecycle');
      assert.equal(expired.reason, null);
    });
  });

  it('a failed provisioning is recorded with what was undone; no onboarded event', async () => {
    const mocks = mockActivities({
      verifyServiceCredentials: () => ({ ok: false, problem: 'scope mismatch' }),
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }), {
        actor: 'ada',
      });
      await assert.rejects(handle.result());
      assert.deepEqual(kinds(mocks), ['provisioning-failed']);
      const failed = mocks.audits[0]!;
      assert.equal(failed.detail.type, 'ServiceVerificationFailed');
      assert.match(String(failed.detail.undone), /custom service client-1/);
    });
  });

  it('an audit store that refuses an event does not hold up the lifecycle: it ends, and says so', async () => {
    // Refused for good rather than retried: a day of retries is many hundred attempts on the time-skipping server.
    const mocks = mockActivities({
      appendAuditEvent: () => {
        throw ApplicationFailure.nonRetryable('audit store refused the event', 'AuditStoreRefused');
      },
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      await statusWhen(handle, (s) => s.phase === 'active');
      const final = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'done' }] });
      assert.equal(final.phase, 'deactivated');
      const status = await handle.result();
      assert.ok(
        status.timeline.some(
          (e) => e.event === 'audit event not stored' && /^onboarded: /.test(e.detail ?? ''),
        ),
        'the timeline names the event that was not stored',
      );
    });
  });
});
