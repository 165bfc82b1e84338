/**
 * The sweep's judgement and action on one user (src/workflows/sweep/user.ts), driven through its ports with
 * plain functions: what it reads, writes and signals, and what it adds to the report. No server, no sandbox.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import type { MarketoUserView } from '../../../src/activities/types';
import { sweepPolicySchema, type SweepPolicyInput } from '../../../src/domain/sweep-policy';
import {
  sweepUser,
  type SweepUserContext,
  type SweepUserPorts,
  type UserOutcome,
} from '../../../src/workflows/sweep/user';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const EMAIL = 'svc@example.com';
const SUMMARY = { userid: EMAIL, email: EMAIL, apiOnly: true };

function marketoUser(overrides: Partial<MarketoUserView> = {}): MarketoUserView {
  return {
    userid: EMAIL,
    id: 1,
    emailAddress: EMAIL,
    firstName: 'Svc',
    lastName: 'User',
    apiOnly: true,
    isLocked: false,
    lockedReason: null,
    expiresAt: iso(Date.now() + 30 * DAY),
    roles: [],
    createdAt: null,
    ...overrides,
  };
}

function context(policy: SweepPolicyInput = {}, overrides: Partial<SweepUserContext> = {}): SweepUserContext {
  return {
    policy: sweepPolicySchema.parse(policy),
    dryRun: false,
    selfEmail: 'orchestrator@example.com',
    startedAt: iso(Date.now()),
    firstSeenAt: () => undefined,
    idleSince: () => undefined,
    managed: {},
    ...overrides,
  };
}

/**
 * Ports over one user that record every effect; `current` is the expiry its lifecycle holds when asked again,
 * `overrides` replace any port.
 */
function ports(
  user: MarketoUserView | null,
  overrides: Partial<SweepUserPorts> = {},
  current: string | null = null,
) {
  const effects: string[] = [];
  const fake: SweepUserPorts = {
    getUser: (userid) => {
      effects.push(`read ${userid}`);
      return Promise.resolve(user);
    },
    setUserExpiry: (userid, expiresAt) => {
      effects.push(`write ${userid} ${expiresAt}`);
      return Promise.resolve(null);
    },
    currentManagedExpiry: (workflowId) => {
      effects.push(`ask ${workflowId}`);
      return Promise.resolve(current);
    },
    signalDrift: (workflowId) => {
      effects.push(`signal ${workflowId}`);
      return Promise.resolve();
    },
    signalRevoke: (workflowId, reason) => {
      effects.push(`revoke ${workflowId}: ${reason}`);
      return Promise.resolve();
    },
    ...overrides,
  };
  return { fake, effects };
}

function activityFailure(message: string): ActivityFailure {
  const cause = ApplicationFailure.create({ message, nonRetryable: true });
  return new ActivityFailure('activity failed', 'getUser', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', cause);
}

describe('one user of a sweep', () => {
  it('a failed read is an error line with the cause of the activity failure, and nothing else happens', async () => {
    const { fake, effects } = ports(null, {
      getUser: () => Promise.reject(activityFailure('Marketo said 611')),
    });
    const outcome = await sweepUser(SUMMARY, context(), fake);
    assert.deepEqual(outcome, {
      count: 'errors',
      line: { email: EMAIL, action: 'error', reason: 'Marketo said 611', applied: false },
    });
    assert.deepEqual(effects, []);
  });

  it('a user deleted between the page and the read is compliant', async () => {
    const { fake } = ports(null);
    assert.deepEqual(await sweepUser(SUMMARY, context({ requireExpiry: 'set' }), fake), {
      count: 'compliant',
    });
  });

  it("the orchestrator's own user and exempt users are never touched, whatever the policy", async () => {
    const expired = { expiresAt: iso(Date.now() - DAY) };
    const self = ports(marketoUser({ ...expired, emailAddress: 'Orchestrator@example.com' }));
    assert.deepEqual(await sweepUser(SUMMARY, context(), self.fake), { count: 'exempt' });
    const exempt = ports(marketoUser(expired));
    assert.deepEqual(await sweepUser(SUMMARY, context({ exempt: ['*@EXAMPLE.com'] }), exempt.fake), {
      count: 'exempt',
    });
    assert.deepEqual([...self.effects, ...exempt.effects], [`read ${EMAIL}`, `read ${EMAIL}`]);
  });

  it('no expiry under `report` is listed, not written', async () => {
    const { fake, effects } = ports(marketoUser({ expiresAt: null }));
    assert.deepEqual(await sweepUser(SUMMARY, context(), fake), {
      count: 'reported',
      line: { email: EMAIL, action: 'report', reason: 'no expiry', applied: false },
    });
    assert.deepEqual(effects, [`read ${EMAIL}`]);
  });

  it('no expiry under `set` writes now plus the grace; a dry run lists the same date and writes nothing', async () => {
    for (const dryRun of [false, true]) {
      const { fake, effects } = ports(marketoUser({ expiresAt: null }));
      const before = Date.now();
      const outcome = await sweepUser(SUMMARY, context({ requireExpiry: 'set' }, { dryRun }), fake);
      assert.equal(outcome.count, 'expirySet');
      const written = Date.parse(outcome.line?.expiresAt ?? '');
      assert.ok(written >= before + 7 * DAY && written <= Date.now() + 7 * DAY);
      assert.deepEqual(outcome.line, {
        email: EMAIL,
        action: 'set-expiry',
        reason: 'no expiry',
        expiresAt: outcome.line?.expiresAt,
        applied: !dryRun,
      });
      const writes = dryRun ? [] : [`write ${EMAIL} ${outcome.line?.expiresAt}`];
      assert.deepEqual(effects, [`read ${EMAIL}`, ...writes]);
    }
  });

  it('an expired user an admin unlocked is locked again; a failed write is an error line', async () => {
    const expiresAt = iso(Date.now() - DAY);
    const relock = ports(marketoUser({ expiresAt }));
    const locked = await sweepUser(SUMMARY, context(), relock.fake);
    assert.equal(locked.count, 'locked');
    assert.equal(locked.line?.action, 'lock');
    assert.equal(locked.line?.applied, true);
    // Locking writes an expiry that has passed: a future one would unlock the user instead.
    const written = locked.line?.expiresAt ?? '';
    assert.ok(Date.parse(written) <= Date.now(), written);
    assert.deepEqual(relock.effects, [`read ${EMAIL}`, `write ${EMAIL} ${written}`]);
    const failing = ports(marketoUser({ expiresAt }), {
      setUserExpiry: () => Promise.reject(activityFailure('budget exhausted')),
    });
    assert.deepEqual(await sweepUser(SUMMARY, context(), failing.fake), {
      count: 'errors',
      line: { email: EMAIL, action: 'error', reason: 'budget exhausted', applied: false },
    });
  });

  it('with `creation` and a maximum lifetime, a user without a creation date is counted as such', async () => {
    const policy: SweepPolicyInput = { maxLifetimeFrom: 'creation', maxLifetimeMs: 90 * DAY };
    const without: UserOutcome = await sweepUser(SUMMARY, context(policy), ports(marketoUser()).fake);
    assert.deepEqual(without, { count: 'compliant', noCreationDate: true });
    const created = marketoUser({ createdAt: iso(Date.now() - DAY) });
    assert.deepEqual(await sweepUser(SUMMARY, context(policy), ports(created).fake), { count: 'compliant' });
    const firstSeen = { maxLifetimeMs: 90 * DAY };
    assert.deepEqual(await sweepUser(SUMMARY, context(firstSeen), ports(marketoUser()).fake), {
      count: 'compliant',
    });
  });
});

describe('one user a lifecycle manages', () => {
  const lifecycleExpiry = iso(Date.parse('2031-01-01T00:00:00.000Z'));
  const managed = { [EMAIL]: { workflowId: 'lifecycle-1', expiresAt: lifecycleExpiry } };

  it('a drift still there when asked again is signalled to the lifecycle, which corrects it itself', async () => {
    const { fake, effects } = ports(marketoUser(), {}, lifecycleExpiry);
    const outcome = await sweepUser(SUMMARY, context({}, { managed }), fake);
    assert.equal(outcome.count, 'driftCorrected');
    assert.equal(outcome.line?.action, 'correct-drift');
    assert.equal(outcome.line?.expiresAt, lifecycleExpiry);
    assert.equal(outcome.line?.applied, true);
    assert.match(outcome.line?.reason ?? '', /its lifecycle corrects it$/);
    assert.deepEqual(effects, [`read ${EMAIL}`, 'ask lifecycle-1', 'signal lifecycle-1']);
  });

  it('a dry run lists the drift and signals nothing', async () => {
    const { fake, effects } = ports(marketoUser(), {}, lifecycleExpiry);
    const outcome = await sweepUser(SUMMARY, context({}, { managed, dryRun: true }), fake);
    assert.equal(outcome.count, 'driftCorrected');
    assert.equal(outcome.line?.applied, false);
    assert.deepEqual(effects, [`read ${EMAIL}`, 'ask lifecycle-1']);
  });

  it('a lifecycle extended since the page was looked up has no drift', async () => {
    const user = marketoUser();
    const { fake, effects } = ports(user, {}, user.expiresAt);
    assert.deepEqual(await sweepUser(SUMMARY, context({}, { managed }), fake), { count: 'compliant' });
    assert.deepEqual(effects, [`read ${EMAIL}`, 'ask lifecycle-1']);
  });

  it('a lifecycle revoked since leaves its locked user to the policy alone: nothing is written', async () => {
    const user = marketoUser({ expiresAt: iso(Date.now() - 1000), isLocked: true });
    const { fake, effects } = ports(user);
    assert.deepEqual(await sweepUser(SUMMARY, context({ requireExpiry: 'set' }, { managed }), fake), {
      count: 'compliant',
    });
    assert.deepEqual(effects, [`read ${EMAIL}`, 'ask lifecycle-1']);
  });

  it('a lifecycle that ended before the signal governs its user itself: compliant, no line', async () => {
    const { fake } = ports(
      marketoUser(),
      { signalDrift: () => Promise.reject(new Error('workflow not found')) },
      lifecycleExpiry,
    );
    assert.deepEqual(await sweepUser(SUMMARY, context({}, { managed }), fake), { count: 'compliant' });
  });

  it('a managed user whose Marketo expiry matches is compliant without asking the lifecycle again', async () => {
    const { fake, effects } = ports(marketoUser({ expiresAt: lifecycleExpiry }));
    assert.deepEqual(await sweepUser(SUMMARY, context({}, { managed }), fake), { count: 'compliant' });
    assert.deepEqual(effects, [`read ${EMAIL}`]);
  });
});
