/**
 * Provisioning decisions with mocked activities: the order of creation, the order of undo after a failing step,
 * a hand-made user taken over and put back, the operator's deadline, and a request refused before anything exists.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { MarketoUserView, RolePairView } from '../../../src/activities/types';
import {
  DAY,
  inDays,
  mockActivities,
  request,
  start,
  startLifecycleTestEnv,
  statusWhen,
  terminateWhenSettled,
} from './support';
import type { LifecycleTestEnv } from './support';

/** The failure a lifecycle ended with, and the types of the failures beneath it (activity failures skipped). */
async function failureOf(
  result: Promise<unknown>,
): Promise<{ type?: string; causes: string[]; message: string }> {
  const error = await result.then(
    () => assert.fail('the lifecycle was expected to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const failure = error.cause;
  assert.ok(failure instanceof ApplicationFailure);
  const causes: string[] = [];
  for (let cause: unknown = failure.cause; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof ApplicationFailure && cause.type) causes.push(cause.type);
  }
  return { type: failure.type ?? undefined, message: failure.message, causes };
}

describe('lifecycle provisioning (mocked activities, time-skipping)', () => {
  let t: LifecycleTestEnv;
  before(async () => {
    t = await startLifecycleTestEnv();
  });
  after(async () => {
    await t?.teardown();
  });

  it('checks the key first, then creates role → user → service, and verifies before it is active', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      const status = await statusWhen(handle, (s) => s.phase === 'active');
      assert.deepEqual(
        mocks.names(
          'checkWorkflowIdKey',
          'listRoles',
          'createRole',
          'inviteApiOnlyUser',
          'createCustomService',
          'verifyServiceCredentials',
        ),
        [
          'checkWorkflowIdKey',
          'listRoles',
          'createRole',
          'inviteApiOnlyUser',
          'createCustomService',
          'verifyServiceCredentials',
        ],
      );
      assert.equal(status.roleId, 100);
      assert.equal(status.clientId, 'client-1');
      assert.equal(status.secretRef, `file:lifecycle/${handle.workflowId}/custom-service`);
      assert.deepEqual(mocks.names('deleteUser', 'deleteRole', 'deleteCustomService'), [], 'nothing undone');
      await terminateWhenSettled(handle, mocks, 1);
    });
  });

  it('undoes newest first after a failing step: service, then user, then role', async () => {
    const mocks = mockActivities({
      verifyServiceCredentials: () => ({ ok: false, problem: 'scope mismatch' }),
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      const failure = await failureOf(handle.result());
      assert.equal(failure.type, 'LifecycleFailed');
      assert.deepEqual(failure.causes, ['ServiceVerificationFailed']);
      assert.match(failure.message, /scope mismatch/);
      assert.deepEqual(mocks.names('deleteCustomService', 'deleteSecret', 'deleteUser', 'deleteRole'), [
        'deleteCustomService',
        'deleteSecret',
        'deleteUser',
        'deleteRole',
      ]);
      assert.equal(mocks.of('failed').length, 1, 'one failure notification');
    });
  });

  it('undoes only what this run made: a role it found is kept', async () => {
    const mocks = mockActivities({
      listRoles: () => [{ id: 42, name: 'Integration Read-Only', type: 'custom' }],
      getRolePermissions: () => ['Read-Only Lead'],
      inviteApiOnlyUser: () => {
        throw ApplicationFailure.nonRetryable('Marketo refused the invite', 'InviteRefused');
      },
    });
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(t, queue, request({ expiresAt: inDays(30, await t.now()) }));
      const failure = await failureOf(handle.result());
      assert.deepEqual(failure.causes, ['InviteRefused']);
      assert.deepEqual(mocks.names('createRole', 'deleteRole', 'deleteUser'), [], 'the found role is kept');
    });
  });

  it('gives the operator until the deadline, reminding daily, then fails and undoes what it made', async () => {
    const mocks = mockActivities({
      getAdminCapabilities: () => ({ canCreateRoles: true, canCreateServices: false }),
    });
    await t.withMocks(mocks, async (queue) => {
      const started = await t.now();
      const req = request({
        expiresAt: inDays(60, started),
        policy: { operatorStepDeadlineMs: 3 * DAY, operatorReminderEveryMs: DAY },
      });
      const handle = await start(t, queue, req);
      const pending = await statusWhen(handle, (s) => s.phase === 'awaiting-operator');
      assert.equal(pending.pendingOperatorAction?.step, 'create-service');
      const deadline = Date.parse(pending.pendingOperatorAction?.deadline ?? '');
      assert.ok(
        Math.abs(deadline - (Date.parse(pending.createdAt) + 3 * DAY)) < 60_000,
        'three days from start',
      );

      const failure = await failureOf(handle.result());
      assert.deepEqual(failure.causes, ['OperatorStepTimedOut']);
      assert.ok((await t.now()) >= deadline, 'not before the deadline');
      // The first notice and one reminder a day before the deadline.
      assert.equal(mocks.of('operator-action-needed').length, 3);
      assert.deepEqual(mocks.names('deleteUser', 'deleteRole'), ['deleteUser', 'deleteRole']);
    });
  });

  it('puts a hand-made user it took over back as found when a later step fails, and never deletes it', async () => {
    const found: MarketoUserView = {
      userid: 'hand@example.com',
      id: 777,
      emailAddress: 'hand@example.com',
      firstName: 'Hand',
      lastName: 'Made',
      apiOnly: true,
      isLocked: false,
      lockedReason: null,
      expiresAt: '2030-01-01T00:00:00.000Z',
      roles: [{ accessRoleId: 102, workspaceId: 0 }],
      createdAt: null,
    };
    let user = structuredClone(found);
    const same = (a: RolePairView, b: RolePairView) =>
      a.accessRoleId === b.accessRoleId && a.workspaceId === b.workspaceId;
    const mocks = mockActivities({
      inviteApiOnlyUser: () => 'already-exists',
      getUser: () => structuredClone(user),
      setUserNames: (_userid, names) => structuredClone(Object.assign(user, names)),
      setUserExpiry: (_userid, expiresAt) => structuredClone(Object.assign(user, { expiresAt })),
      addUserRoles: (_userid, pairs) => (user.roles = [...user.roles, ...pairs]),
      removeUserRoles: (_userid, pairs) =>
        (user.roles = user.roles.filter((r) => !pairs.some((p) => same(p, r)))),
      verifyServiceCredentials: () => ({ ok: false, problem: 'scope mismatch' }),
    });
    await t.withMocks(mocks, async (queue) => {
      const req = request({ email: found.emailAddress, expiresAt: inDays(30, await t.now()) });
      const handle = await start(t, queue, req, { adopt: { marketoUserId: 777 } });
      const failure = await failureOf(handle.result());
      assert.deepEqual(failure.causes, ['ServiceVerificationFailed']);
      assert.equal(mocks.names('setUserNames')[0], 'setUserNames', 'it was taken over first');
      assert.deepEqual(user, found, 'names, roles and expiry as found');
      assert.deepEqual(mocks.names('deleteUser', 'expireUserNow', 'deleteCustomServicesOf'), []);
    });
    user = structuredClone(found);
    await t.withMocks(
      mockActivities({ inviteApiOnlyUser: () => 'already-exists', getUser: () => user }),
      async (queue) => {
        const req = request({ email: found.emailAddress, expiresAt: inDays(30, await t.now()) });
        const handle = await start(t, queue, req, { adopt: { marketoUserId: 778 } });
        const failure = await failureOf(handle.result());
        assert.deepEqual(
          failure.causes,
          ['UserAlreadyExists'],
          'another Marketo id: not the user the starter saw',
        );
      },
    );
  });

  it('refuses a request already past its maximum lifetime before any activity runs', async () => {
    const mocks = mockActivities();
    await t.withMocks(mocks, async (queue) => {
      const handle = await start(
        t,
        queue,
        request({ expiresAt: inDays(20, await t.now()), policy: { maxLifetimeMs: 10 * DAY } }),
      );
      const error = await handle.result().then(
        () => assert.fail('expected a refusal'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, 'InvalidInput');
      assert.match(error.cause.message, /maximum lifetime/);
      assert.deepEqual(mocks.calls, [], 'no activity ran');
    });
  });
});
