/**
 * The active period with mocked activities: deactivation on revoke, the expiry timer and its reminder, and the
 * limits an extension must respect (refused by the validator, so nothing reaches Marketo).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extendUpdate, revokeSignal, revokeUpdate } from '../../../src/workflows/messages';
import {
  DAY,
  inDays,
  mockActivities,
  refusalOf,
  request,
  start,
  startLifecycleTestEnv,
  statusWhen,
  terminateWhenSettled,
} from './support';
import type { LifecycleTestEnv } from './support';

describe('lifecycle active period (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('a revoke locks the user, deletes the stored secret and notifies, with the reason', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      await statusWhen(handle, (s) => s.phase === 'active');
      const final = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'contract ended' }] });
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'revoked');
      assert.equal(final.deactivation?.outcome, 'locked');
      assert.equal(final.deactivation?.reason, 'contract ended');
      assert.deepEqual(mocks.names('getUser', 'expireUserNow', 'deleteSecret').slice(-3), [
        'getUser',
        'expireUserNow',
        'deleteSecret',
      ]);
      assert.equal(mocks.user()?.isLocked, true);
      assert.equal(
        mocks.names('deleteUser', 'deleteRole').length,
        0,
        'an ended user is kept locked, not deleted',
      );
      await handle.result();
      assert.equal(mocks.of('deactivated').length, 1);
    });
  });

  it('a revoke during provisioning ends it before activation and undoes what was made', async () => {
    const mocks = mockActivities({
      getAdminCapabilities: () => ({ canCreateRoles: true, canCreateServices: false }),
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      await statusWhen(handle, (s) => s.phase === 'awaiting-operator');
      await handle.signal(revokeSignal, { reason: 'not needed' });
      const final = await handle.result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'revoked');
      assert.match(final.deactivation?.outcome ?? '', /^revoked before activation; undone: user .*role 100/);
      assert.deepEqual(mocks.names('deleteUser', 'deleteRole'), ['deleteUser', 'deleteRole']);
      assert.equal(mocks.of('deactivated').length, 1);
    });
  });

  it('the expiry timer reminds at the lead and locks at the expiry, not before', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({ expiresAt: inDays(30, await t.now()), policy: { reminderLeadsMs: [7 * DAY] } });
      const handle = await start(t, queue, req);
      const final = await handle.result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'expired');
      assert.equal(final.deactivation?.outcome, 'locked');
      assert.ok(Date.parse(final.deactivation.at) >= Date.parse(req.expiresAt), 'not before the expiry');
      const reminders = mocks.of('reminder');
      assert.equal(reminders.length, 1);
      const remindedAt = Date.parse(reminders[0]!.at);
      assert.ok(remindedAt >= Date.parse(req.expiresAt) - 7 * DAY, 'not earlier than the lead');
      assert.ok(remindedAt < Date.parse(req.expiresAt) - 6 * DAY, 'at the lead, not at the expiry');
      assert.ok(final.timeline.some((e) => e.event === 'reminder sent'));
    });
  });

  it('an extension is refused beyond the maximum lifetime or not later, and applied (rounded up to a second) within', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const started = await t.now();
      const req = request({ expiresAt: inDays(10, started), policy: { maxLifetimeMs: 60 * DAY } });
      const handle = await start(t, queue, req);
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      const createdAt = Date.parse(active.createdAt);
      const extend = (expiresAt: string) => handle.executeUpdate(extendUpdate, { args: [{ expiresAt }] });
      const refused = async (expiresAt: string, why: RegExp) =>
        assert.match(await refusalOf(extend(expiresAt), `extension to ${expiresAt}`), why);
      await refused(inDays(61, createdAt), /maximum lifetime/);
      await refused(inDays(5, started), /must be later than the current expiry/);
      assert.equal(mocks.names('setUserExpiry').length, 0, 'a refused extension never reaches Marketo');

      const wanted = new Date(createdAt + 40 * DAY + 123).toISOString();
      const extended = await extend(wanted);
      // Rounded up: Marketo keeps seconds, and must not lock before the workflow's date.
      const whole = new Date(Math.ceil(Date.parse(wanted) / 1000) * 1000).toISOString();
      assert.equal(extended.expiresAt, whole);
      assert.equal(extended.extensions, 1);
      assert.deepEqual(
        mocks.calls.filter((c) => c.name === 'setUserExpiry').map((c) => c.args[1]),
        [whole],
      );
      await terminateWhenSettled(handle, mocks, 2);
    });
  });
});
