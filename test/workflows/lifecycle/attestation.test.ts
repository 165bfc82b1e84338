/**
 * Owner attestation with mocked activities on the time-skipping server: the ask, its reminder at half the window
 * and the overdue notice a day before the deadline; the lock at the deadline when nobody answers; an answer that
 * restarts the clock; a revoke by the owner; refusals; and the audit rows of each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { attestUpdate, revokeUpdate } from '../../../src/workflows/messages';
import {
  DAY,
  inDays,
  mockActivities,
  refusalOf,
  request,
  start,
  startLifecycleTestEnv,
  statusWhen,
  type LifecycleTestEnv,
} from './support';

const OWNER = 'data-team@example.com';
const ATTESTED = {
  owner: OWNER,
  ticket: 'OPS-1234',
  policy: { attestEveryMs: '30d', attestationWindowMs: '14d' },
};

describe('owner attestation (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('asks the owner, reminds at half the window, warns a day ahead, and locks at the deadline', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({ expiresAt: inDays(100, await t.now()), ...ATTESTED });
      const final = await (await start(t, queue, req)).result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'attestation-missed');
      assert.equal(final.deactivation?.outcome, 'locked');
      assert.equal(mocks.user()?.isLocked, true);
      const [asked, reminded] = mocks.of('attestation-requested');
      const overdue = mocks.of('attestation-overdue');
      assert.equal(mocks.of('attestation-requested').length, 2);
      assert.equal(overdue.length, 1);
      assert.deepEqual([asked?.details?.['round'], reminded?.details?.['round']], ['request', 'reminder']);
      const deadline = String(asked?.details?.['deadline']);
      const requestedAt = Date.parse(asked!.at);
      assert.equal(Date.parse(deadline) - requestedAt, 14 * DAY);
      assert.ok(Date.parse(reminded!.at) - requestedAt >= 7 * DAY, 'reminded at half the window');
      assert.ok(Date.parse(deadline) - Date.parse(overdue[0]!.at) <= DAY, 'overdue a day ahead, not before');
      assert.ok(Date.parse(final.deactivation.at) >= Date.parse(deadline), 'not locked before the deadline');
      for (const key of ['role', 'permissions', 'lastUsedAt', 'expiresAt', 'owner'] as const) {
        assert.ok(asked?.details?.[key], `the evidence has ${key}`);
      }
      assert.equal(asked?.details?.['lastUsedAt'], 'unknown', 'no usage known: said so');
      const kinds = mocks.audits.map((a) => a.kind);
      assert.deepEqual(kinds.slice(-2), ['attestation-requested', 'attestation-missed']);
      const missed = mocks.audits.at(-1)!;
      assert.equal(missed.detail['deadline'], deadline);
      assert.equal(missed.detail['owner'], OWNER);
      assert.equal(missed.detail['role'], req.role.name);
    });
  });

  it('an answer records who, when, the evidence and the decision, and restarts the clock', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({ expiresAt: inDays(100, await t.now()), ...ATTESTED });
      const handle = await start(t, queue, req);
      await statusWhen(handle, (s) => s.phase === 'active');
      await t.env.sleep(31 * DAY);
      const asked = await statusWhen(handle, (s) => s.attestation?.pending !== undefined);
      const answered = await handle.executeUpdate(attestUpdate, {
        args: [{ by: 'ada@example.com', note: 'still syncing' }],
      });
      assert.equal(answered.phase, 'active');
      assert.equal(answered.attestation?.pending, undefined);
      assert.equal(answered.attestation?.last?.decision, 'keep');
      const next = Date.parse(answered.attestation.nextRequestAt!);
      assert.ok(next - Date.parse(answered.attestation.last.at) === 30 * DAY, 'asked again 30d after');
      // Past the first ask's deadline: the answer held.
      await t.env.sleep(20 * DAY);
      assert.equal((await statusWhen(handle, () => true)).phase, 'active');
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
      await handle.result();
      const attested = mocks.audits.find((a) => a.kind === 'attested')!;
      assert.equal(attested.actor, 'ada@example.com');
      assert.equal(attested.reason, 'still syncing');
      assert.equal(attested.detail['decision'], 'keep');
      assert.equal(attested.detail['requestedAt'], asked.attestation!.pending!.requestedAt);
      assert.equal(attested.detail['expiresAt'], req.expiresAt);
      assert.equal(attested.detail['permissions'], req.role.permissions!.join(', '));
      assert.equal(mocks.of('attestation-overdue').length, 0);
    });
  });

  it("the owner's revoke locks the user in the owner's name", async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(100, await t.now()), ...ATTESTED }));
      await statusWhen(handle, (s) => s.phase === 'active');
      const ended = await handle.executeUpdate(attestUpdate, {
        args: [{ by: OWNER, decision: 'revoke', note: 'integration retired' }],
      });
      assert.equal(ended.phase, 'deactivated');
      assert.equal(ended.deactivation?.cause, 'revoked');
      assert.equal(ended.deactivation?.reason, 'integration retired');
      await handle.result();
      const revoked = mocks.audits.find((a) => a.kind === 'revoked')!;
      assert.equal(revoked.actor, OWNER);
      assert.equal(mocks.audits.find((a) => a.kind === 'attested')?.detail['decision'], 'revoke');
    });
  });

  it('refuses an attestation before activation, and bad input, without recording anything', async () => {
    const mocks = mockActivities({
      getAdminCapabilities: () => ({ canCreateRoles: true, canCreateServices: false }),
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(100, await t.now()), ...ATTESTED }));
      await statusWhen(handle, (s) => s.phase === 'awaiting-operator');
      const refusal = (input: object) =>
        refusalOf(handle.executeUpdate(attestUpdate, { args: [input as never] }));
      assert.match(
        await refusal({ by: OWNER }),
        /Only an active lifecycle can be attested; this one is awaiting-operator/,
      );
      assert.match(await refusal({ by: ' ' }), /^by: must not be empty/);
      assert.match(await refusal({ by: OWNER, decision: 'maybe' }), /^decision: /);
      await handle.executeUpdate(revokeUpdate, { args: [{}] });
      await handle.result();
      assert.equal(mocks.audits.filter((a) => a.kind === 'attested').length, 0);
    });
  });

  it('the workflow refuses attestation without an owner to ask', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const req = request({ expiresAt: inDays(100, await t.now()), policy: { attestEveryMs: '30d' } });
      const error = await (await start(t, queue, req)).result().then(
        () => assert.fail('started'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkflowFailedError);
      assert.match(String(error.cause?.message), /owner: required with policy\.attestEveryMs/);
      assert.equal(mocks.names('createRole', 'inviteApiOnlyUser').length, 0, 'nothing was made');
    });
  });
});
