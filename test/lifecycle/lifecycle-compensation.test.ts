/**
 * Compensation: when a step fails for good, what the run made is undone newest first (service, then user,
 * then role) and nothing is left behind in Marketo. Failures are made by altering the workers' dependencies
 * (a LaunchPoint that refuses services; a secret store that garbles secrets), not by changing src/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LifecycleStatus } from '../../src/domain/lifecycle-status';
import type { lifecycleWorkflow } from '../../src/workflows';
import { revokeUpdate, statusQuery } from '../../src/workflows/messages';
import {
  messageChain,
  sampleRequest,
  withDevServerHarness,
  type Harness,
} from '../helpers/lifecycle-harness';
import {
  ANALYTICS_USER_ROLE,
  confirmExistingRole,
  consoleRefusingServices,
  garblingSecretStore,
  statusWhen,
  undoneSteps,
  withAlteredWorkers,
} from './support';

const REFUSAL = 'LaunchPoint refuses new services in this subscription';

async function failureOf(promise: Promise<unknown>): Promise<WorkflowFailedError> {
  const error = await promise.then(
    () => assert.fail('the lifecycle must fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(error)}`);
  return error;
}

describe('lifecycle compensation', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let operatorH: Harness;
  withDevServerHarness(async (devServer, harness, { another }) => {
    env = devServer;
    h = harness;
    operatorH = await another({ sandbox: { mode: 'real-like' } });
  });

  const uniqueRole = (tag: string) => ({
    name: `Compensation ${tag} ${Date.now()}`,
    permissions: ['Read-Only Lead' as const],
    workspace: 0,
  });

  function assertNothingLeft(harness: Harness, email: string, roleName: string): void {
    const snap = harness.sandbox.snapshot();
    assert.equal(
      snap.users.find((u) => u.emailAddress === email),
      undefined,
      'no user left',
    );
    assert.equal(
      snap.roles.find((r) => r.name === roleName),
      undefined,
      'no role left',
    );
    assert.equal(snap.services.filter((s) => s.ownerEmail === email).length, 0, 'no service left');
  }

  it('a custom service that cannot be created undoes the user, then the role', async () => {
    const request = sampleRequest({
      email: `comp-refused-${Date.now()}@example.com`,
      role: uniqueRole('refused'),
    });
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, adminConsole: consoleRefusingServices(h.sandbox, REFUSAL) }),
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        const failure = await failureOf(handle.result());
        const lifecycleFailure = failure.cause;
        assert.ok(lifecycleFailure instanceof ApplicationFailure);
        assert.equal(lifecycleFailure.type, 'LifecycleFailed');
        assert.equal(lifecycleFailure.nonRetryable, true);
        assert.match(
          messageChain(lifecycleFailure.cause),
          new RegExp(REFUSAL),
          'the cause names the original cause',
        );
        assert.match(lifecycleFailure.message, /Undone: user .*: deleted; role \d+: deleted/);

        const status = await handle.query(statusQuery);
        assert.equal(status.phase, 'failed');
        const userid = status.userId;
        assert.ok(userid, 'the user was created before the failure');
        assert.deepEqual(undoneSteps(status), [`user ${userid}: deleted`, `role ${status.roleId}: deleted`]);
        assertNothingLeft(h, request.email, request.role.name);
        assert.equal(h.notifier.of('failed', workflowId).length, 1);
      },
    );
  });

  it('the status and the failed notification name the original cause of a failed step', async () => {
    const request = sampleRequest({
      email: `comp-cause-${Date.now()}@example.com`,
      role: uniqueRole('cause'),
    });
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, adminConsole: consoleRefusingServices(h.sandbox, REFUSAL) }),
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        await failureOf(handle.result());
        const status = await handle.query(statusQuery);
        assert.equal(status.phase, 'failed');
        assert.match(status.failure?.message ?? '', new RegExp(REFUSAL));
        assert.equal(status.failure?.type, 'AdminConsole');
        assert.match(h.notifier.of('failed', workflowId)[0]?.message ?? '', new RegExp(REFUSAL));
        assertNothingLeft(h, request.email, request.role.name);
      },
    );
  });

  it('credentials that do not verify undo the service, then the user, then the role', async () => {
    const request = sampleRequest({
      email: `comp-verify-${Date.now()}@example.com`,
      role: uniqueRole('verify'),
    });
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, secrets: garblingSecretStore(deps.secrets) }),
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        const failure = await failureOf(handle.result());
        assert.ok(failure.cause instanceof ApplicationFailure);
        assert.equal(failure.cause.type, 'LifecycleFailed');
        assert.ok(failure.cause.cause instanceof ApplicationFailure);
        assert.equal(failure.cause.cause.type, 'ServiceVerificationFailed');
        assert.match(failure.cause.cause.message, /refused the client id and secret/);

        const status: LifecycleStatus = await handle.query(statusQuery);
        assert.equal(status.phase, 'failed');
        assert.equal(status.failure?.type, 'ServiceVerificationFailed');
        const undone = undoneSteps(status);
        assert.equal(undone.length, 3, undone.join(' | '));
        assert.match(undone[0]!, /^custom service [\w-]+: deleted$/);
        assert.equal(undone[1], `user ${status.userId}: deleted`);
        assert.equal(undone[2], `role ${status.roleId}: deleted`);
        // Newest first also in time: each undo was recorded no earlier than the one before.
        const times = status.timeline.filter((e) => e.event === 'undone').map((e) => Date.parse(e.at));
        assert.deepEqual(
          [...times].sort((a, b) => a - b),
          times,
        );
        assertNothingLeft(h, request.email, request.role.name);
        assert.equal(
          await h.secrets.get(`file:lifecycle/${workflowId}/custom-service`),
          undefined,
          'the stored (garbled) secret is deleted with its service',
        );
      },
    );
  });

  it('revoke while the operator is awaited ends the lifecycle and removes the user it created', async () => {
    const request = sampleRequest({
      email: `comp-revoke-${Date.now()}@example.com`,
      role: ANALYTICS_USER_ROLE,
    });
    await operatorH.withWorkers(async () => {
      const workflowId = await operatorH.start(request);
      const handle = operatorH.client.getHandle<typeof lifecycleWorkflow>(workflowId);
      await confirmExistingRole(handle);
      const waiting = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
      const userid = waiting.userId;
      assert.ok(userid);
      assert.ok(operatorH.sandbox.snapshot().users.some((u) => u.userid === userid));

      const revoked = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'project cancelled' }] });
      assert.equal(revoked.phase, 'deactivated');
      assert.equal(revoked.pendingOperatorAction, undefined);
      assert.equal(revoked.deactivation?.cause, 'revoked');
      assert.equal(revoked.deactivation?.reason, 'project cancelled');
      assert.match(revoked.deactivation?.outcome ?? '', /revoked before activation/);
      assert.match(revoked.deactivation?.outcome ?? '', new RegExp(`user ${userid}: deleted`));
      const final = await handle.result();
      assert.equal(final.phase, 'deactivated', 'a revoke is not a failure');
      assert.equal(
        operatorH.sandbox.snapshot().users.find((u) => u.emailAddress === request.email),
        undefined,
        'the user it created is gone',
      );
      assert.ok(
        operatorH.sandbox.snapshot().roles.some((r) => r.name === 'Analytics User'),
        'the seeded role stays',
      );
      assert.equal(operatorH.sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
    });
  });
});
