/**
 * maxIdle in the sweep's pure decision and the idle-since lookup: warned past the notice, locked (or revoked
 * through the lifecycle) past the lock, judged from the usage ledger, and never judged on a stale ledger.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideSweepAction,
  idleCheckSkipped,
  idleSinceLookup,
  sweepPolicySchema,
  type SweepAction,
  type SweepDecisionInput,
  type SweptUser,
} from '../../src/domain/sweep-policy';
import { policyFromFlags } from '../../src/cli/commands/sweep-policy-flags';
import { UsageError } from '../../src/cli/errors';

const DAY = 86_400_000;
const NOW = Date.parse('2030-08-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const POLICY = sweepPolicySchema.parse({ maxIdle: { lockAfterMs: '45d' }, requireExpiry: 'off' });

function decide(
  idleDays: number,
  extra: Partial<SweepDecisionInput> = {},
  user: Partial<SweptUser> = {},
): SweepAction {
  return decideSweepAction({
    user: {
      userid: 'a@x.com',
      email: 'a@x.com',
      isLocked: false,
      expiresAt: iso(NOW + 300 * DAY),
      createdAt: null,
      ...user,
    },
    policy: POLICY,
    nowMs: NOW,
    firstSeenAt: iso(NOW - 100 * DAY),
    isSelf: false,
    idleSince: iso(NOW - idleDays * DAY),
    ...extra,
  });
}

describe('maxIdle policy', () => {
  it('defaults the notice to two thirds of the lock and refuses a notice after the lock', () => {
    assert.deepEqual(POLICY.maxIdle, { lockAfterMs: 45 * DAY, notifyAfterMs: 30 * DAY });
    const bad = sweepPolicySchema.safeParse({ maxIdle: { lockAfterMs: '10d', notifyAfterMs: '20d' } });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /warning comes before the lock/);
  });

  it('an unmanaged user: nothing before the notice, a warning naming the lock day, then a lock', () => {
    assert.equal(decide(29).kind, 'compliant');
    const warned = decide(31);
    assert.equal(warned.kind, 'idle-warning');
    assert.match('reason' in warned ? warned.reason : '', new RegExp(`locked at ${iso(NOW + 14 * DAY)}`));
    assert.deepEqual(decide(45), {
      kind: 'lock',
      reason: `idle 45 days (no call since ${iso(NOW - 45 * DAY)})`,
      expiresAt: iso(NOW),
    });
  });

  it('a managed user is revoked through its lifecycle, and a drift still comes first', () => {
    const managedExpiresAt = iso(NOW + 300 * DAY);
    assert.equal(decide(46, { managedExpiresAt }).kind, 'revoke-idle');
    assert.equal(decide(31, { managedExpiresAt }).kind, 'idle-warning');
    assert.equal(decide(46, { managedExpiresAt: iso(NOW + 200 * DAY) }).kind, 'correct-drift');
  });

  it('a locked user, an exempt one and one the ledger cannot judge are left alone', () => {
    assert.equal(decide(60, {}, { isLocked: true }).kind, 'compliant');
    assert.equal(decide(60, { policy: { ...POLICY, exempt: ['*@x.com'] } }).kind, 'exempt');
    assert.equal(decide(60, { idleSince: undefined }).kind, 'compliant');
  });
});

describe('idleSinceLookup', () => {
  const firstSeen = (userid: string) =>
    userid === 'new@x.com' ? '2030-07-25T08:00:00.000Z' : '2030-05-01T08:00:00.000Z';
  const usage = {
    coveredSince: '2030-06-10',
    lastCollected: '2030-08-01',
    lastUsed: { 'used@x.com': '2030-07-20' },
  };

  it('counts from the end of the last day used, else from the later of first sight and the ledger start', () => {
    const idleSince = idleSinceLookup(usage, firstSeen, NOW);
    assert.equal(idleSince('used@x.com'), '2030-07-21T00:00:00.000Z');
    assert.equal(idleSince('old@x.com'), '2030-06-10T00:00:00.000Z', 'seen before the ledger began');
    assert.equal(idleSince('new@x.com'), '2030-07-25T08:00:00.000Z', 'first seen after the ledger began');
  });

  it('judges no one without a collection or on a ledger older than 3 days', () => {
    assert.equal(idleSinceLookup(undefined, firstSeen, NOW)('old@x.com'), undefined);
    const stale = { ...usage, lastCollected: '2030-07-27' };
    assert.equal(idleSinceLookup(stale, firstSeen, NOW)('old@x.com'), undefined);
    const fresh = { ...usage, lastCollected: '2030-07-29' };
    assert.notEqual(idleSinceLookup(fresh, firstSeen, NOW)('old@x.com'), undefined);
  });

  it('says why it judges no one, and what to do, for the sweep report', () => {
    const empty = { coveredSince: null, lastCollected: null, lastUsed: {} };
    assert.match(
      idleCheckSkipped(empty, NOW) ?? '',
      /ledger is empty; run `marketo-api-users collect-usage`/,
    );
    const stale = { ...usage, lastCollected: '2030-07-27' };
    assert.match(idleCheckSkipped(stale, NOW) ?? '', /last day is 2030-07-27, more than 3 days ago/);
    assert.equal(idleCheckSkipped({ ...usage, lastCollected: '2030-07-29' }, NOW), undefined);
  });
});

describe('maxIdle flags', () => {
  it('--max-idle alone warns at two thirds; --idle-notify-after sets the warning', () => {
    assert.deepEqual(policyFromFlags({ 'max-idle': '45d' })?.maxIdle, {
      lockAfterMs: 45 * DAY,
      notifyAfterMs: 30 * DAY,
    });
    assert.deepEqual(policyFromFlags({ 'max-idle': '60d', 'idle-notify-after': '50d' })?.maxIdle, {
      lockAfterMs: 60 * DAY,
      notifyAfterMs: 50 * DAY,
    });
  });

  it('refuses a warning without a lock, and a warning after the lock, naming the field', () => {
    assert.throws(
      () => policyFromFlags({ 'idle-notify-after': '30d' }),
      /idle-notify-after: only with --max-idle/,
    );
    assert.throws(
      () => policyFromFlags({ 'max-idle': '10d', 'idle-notify-after': '20d' }),
      (error: unknown) =>
        error instanceof UsageError && /policy\.maxIdle.*before the lock/.test(error.problems.join(' ')),
    );
  });
});
