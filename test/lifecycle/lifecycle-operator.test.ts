/**
 * The operator path against a sandbox in real-like mode: roles and custom services cannot be made by software,
 * so the workflow asks an operator, waits, verifies what the operator made, reminds, and gives up (undoing
 * what it made) when the operator's deadline passes. The test plays the operator through the sandbox's
 * operator endpoints over HTTP, following the instructions the workflow gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import type { lifecycleWorkflow } from '../../src/workflows';
import {
  completeOperatorStepUpdate,
  revokeSignal,
  revokeUpdate,
  statusQuery,
} from '../../src/workflows/messages';
import {
  eventually,
  rejectsWith,
  sampleRequest,
  withDevServerHarness,
  type Harness,
} from '../helpers/lifecycle-harness';
import {
  ANALYTICS_USER_ROLE,
  confirmExistingRole,
  instructionValue,
  sandboxCall,
  statusWhen,
  undoneSteps,
  withAlteredWorkers,
} from './support';

const createdServiceSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });
const createdRoleSchema = z.object({ id: z.number(), name: z.string() });

describe('lifecycle operator path (sandbox in real-like mode)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness(
    async (devServer, harness) => {
      env = devServer;
      h = harness;
      // The header is what separates the operator from our software: without it the sandbox refuses and counts.
      const refused = await sandboxCall(
        h.sandbox,
        'POST',
        '/sandbox/roles',
        { name: 'x', permissions: [] },
        false,
      );
      assert.equal(refused.status, 403);
      assert.equal(
        h.sandbox.snapshot().counters.forbiddenSandboxCalls,
        1,
        'the counter sees a call without the header',
      );
      h.sandbox.operator.resetCounters();
    },
    { sandbox: { mode: 'real-like' } },
  );

  const sandboxUser = (email: string) => h.sandbox.snapshot().users.find((u) => u.emailAddress === email);

  it('waits for the operator at the role and the service, verifies both, refuses a wrong secret, then is active', async () => {
    assert.equal(h.sandbox.mode, 'real-like');
    const roleName = `Operator Made ${Date.now()}`;
    const request = sampleRequest({
      email: `op-path-${Date.now()}@example.com`,
      role: { name: roleName, permissions: ['Read-Only Lead', 'Read-Only Activity'], workspace: 0 },
    });
    await h.withWorkers(async () => {
      const workflowId = await h.start(request);
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);

      // ---- create-role ----
      const awaitingRole = await statusWhen(handle, (s) => s.phase === 'awaiting-operator');
      const roleAction = awaitingRole.pendingOperatorAction;
      assert.ok(roleAction);
      assert.equal(roleAction.step, 'create-role');
      assert.equal(instructionValue(roleAction.instructions, 'Role Name'), roleName);
      assert.equal(
        instructionValue(roleAction.instructions, 'Permissions (Access API group)'),
        'Read-Only Lead, Read-Only Activity',
      );
      assert.ok(Date.parse(roleAction.deadline) > Date.parse(roleAction.since));
      assert.equal(sandboxUser(request.email), undefined, 'no user before the role exists');
      // Announced by an activity right after the phase changes: wait for it.
      const announced = await eventually(() => {
        const sent = h.notifier.of('operator-action-needed', workflowId);
        return sent.length > 0 ? sent : undefined;
      });
      assert.equal(announced.length, 1);
      assert.deepEqual(announced[0]?.details?.['instructions'], roleAction.instructions);

      // Saying "done" before doing it is refused by the workflow's own check against roles.json.
      const early = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-role' }],
      });
      assert.equal(early.verified, false);
      assert.match(early.problem ?? '', /no role named/);
      assert.equal(early.status.phase, 'awaiting-operator');
      // The wrong step is refused by the validator, before anything runs.
      await rejectsWith(
        handle.executeUpdate(completeOperatorStepUpdate, {
          args: [{ step: 'create-service', clientId: 'abc', secretRef: 'file:x/y' }],
        }),
        /pending step is create-role/,
      );

      // The operator does what the instructions say, in the "Admin UI".
      const made = await sandboxCall(h.sandbox, 'POST', '/sandbox/roles', {
        name: instructionValue(roleAction.instructions, 'Role Name'),
        permissions: instructionValue(roleAction.instructions, 'Permissions (Access API group)').split(', '),
      });
      assert.equal(made.status, 201);
      const role = createdRoleSchema.parse(made.json);
      const roleDone = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-role' }],
      });
      assert.equal(roleDone.verified, true, roleDone.problem);

      // ---- the workflow creates the user, then create-service ----
      const awaitingService = await statusWhen(
        handle,
        (s) => s.phase === 'awaiting-operator' && s.pendingOperatorAction?.step === 'create-service',
      );
      assert.equal(awaitingService.roleId, role.id, 'the role the operator made is the one used');
      const user = sandboxUser(request.email);
      assert.ok(user, 'the workflow created the user itself');
      assert.equal(user.apiOnly, true);
      assert.deepEqual(user.userRoleWorkspaces, [{ accessRoleId: role.id, workspaceId: 0 }]);
      assert.equal(awaitingService.userId, user.userid);
      const serviceAction = awaitingService.pendingOperatorAction!;
      assert.equal(instructionValue(serviceAction.instructions, 'API Only User'), request.email);

      const created = await sandboxCall(h.sandbox, 'POST', '/sandbox/services', {
        displayName: instructionValue(serviceAction.instructions, 'Display Name'),
        description: instructionValue(serviceAction.instructions, 'Description'),
        email: instructionValue(serviceAction.instructions, 'API Only User'),
      });
      assert.equal(created.status, 201);
      const { clientId, clientSecret } = createdServiceSchema.parse(created.json);
      // What the CLI will do: the secret goes to the secret store, the workflow only gets its ref.
      const secretRef = `file:lifecycle/${workflowId}/operator-service`;

      await h.secrets.put(secretRef, { clientId, clientSecret: `${clientSecret}x` });
      const wrong = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-service', clientId, secretRef }],
      });
      assert.equal(wrong.verified, false);
      assert.match(wrong.problem ?? '', /refused the client id and secret/);
      assert.equal(wrong.status.phase, 'awaiting-operator');
      const afterWrong = await handle.query(statusQuery);
      assert.equal(afterWrong.phase, 'awaiting-operator');
      assert.equal(afterWrong.pendingOperatorAction?.step, 'create-service');
      assert.equal(afterWrong.pendingOperatorAction?.lastVerificationError, wrong.problem);
      assert.equal(afterWrong.clientId, undefined);

      await h.secrets.put(secretRef, { clientId, clientSecret });
      const right = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-service', clientId, secretRef }],
      });
      assert.equal(right.verified, true, right.problem);
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      assert.equal(active.clientId, clientId);
      assert.equal(active.secretRef, secretRef);
      assert.equal(active.pendingOperatorAction, undefined);
      assert.equal(h.sandbox.snapshot().services.filter((s) => s.ownerEmail === request.email).length, 1);
      assert.ok(
        JSON.stringify(await handle.query(statusQuery)).indexOf(clientSecret) < 0,
        'no secret in the status',
      );

      const revoked = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test done' }] });
      assert.equal(revoked.phase, 'deactivated');
      assert.equal(sandboxUser(request.email)?.isLocked, true);
      assert.equal(await h.secrets.get(secretRef), undefined, 'the operator-stored secret is deleted');
    });
    assert.equal(
      h.sandbox.snapshot().counters.forbiddenSandboxCalls,
      0,
      'our software never reached for the operator endpoints',
    );
  });

  it('reminds the operator, then gives up at the deadline and removes the user it created', async () => {
    const request = sampleRequest({
      email: `op-timeout-${Date.now()}@example.com`,
      // A role that exists already: once confirmed, the user is made before the service step times out.
      role: ANALYTICS_USER_ROLE,
      policy: { operatorStepDeadlineMs: 3000, operatorReminderEveryMs: 1000 },
    });
    await h.withWorkers(async () => {
      const workflowId = await h.start(request);
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
      await confirmExistingRole(handle);
      const waiting = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
      assert.equal(waiting.roleId, 101, 'the seeded role was confirmed, not made');
      const user = sandboxUser(request.email);
      assert.ok(user, 'the user exists while the operator is awaited');
      assert.equal(waiting.userId, user.userid);

      const failure = await handle.result().then(
        () => assert.fail('the run must fail when the operator misses the deadline'),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof WorkflowFailedError);
      assert.ok(failure.cause instanceof ApplicationFailure);
      assert.equal(failure.cause.type, 'LifecycleFailed');
      assert.ok(failure.cause.cause instanceof ApplicationFailure);
      assert.equal(failure.cause.cause.type, 'OperatorStepTimedOut');
      assert.match(failure.cause.cause.message, /create-service was not completed/);

      const status = await handle.query(statusQuery);
      assert.equal(status.phase, 'failed');
      assert.equal(status.failure?.type, 'OperatorStepTimedOut');
      assert.equal(status.pendingOperatorAction, undefined);
      assert.deepEqual(undoneSteps(status), [`user ${user.userid}: deleted`]);
      assert.equal(sandboxUser(request.email), undefined, 'the user it created is gone');
      assert.ok(
        h.sandbox.snapshot().roles.some((r) => r.id === 101),
        'a role it did not create is left alone',
      );

      const asked = h.notifier
        .of('operator-action-needed', workflowId)
        .filter((n) => n.details?.['step'] === 'create-service');
      assert.ok(asked.length >= 2, `the operator was reminded (${asked.length} notifications)`);
      assert.ok(asked.slice(1).every((n) => /Still waiting for the operator/.test(n.message)));
      assert.ok(status.timeline.filter((e) => e.event === 'operator reminder').length >= 1);
      assert.equal(h.notifier.of('failed', workflowId).length, 1);
    });
    assert.equal(h.sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
  });
  it('refuses a service of another API-only user; a revoke during verification deletes the verified secret and notifies', async () => {
    const request = sampleRequest({
      email: `op-revoke-${Date.now()}@example.com`,
      role: ANALYTICS_USER_ROLE,
    });
    const other = `op-other-${Date.now()}@example.com`;
    await h.marketo.inviteUser({
      emailAddress: other,
      firstName: 'Other',
      lastName: 'Service',
      apiOnly: true,
      userRoleWorkspaces: [{ accessRoleId: 101, workspaceId: 0 }],
    });
    const secretRef = `file:lifecycle/${h.workflowIdFor(request.email)}/operator-service`;
    // Verification reads the secret: holding that read open is how a revoke lands while it runs.
    let reached!: () => void;
    const verifying = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holdNextRead = false;
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({
        ...deps,
        secrets: {
          put: (ref, value) => deps.secrets.put(ref, value),
          delete: (ref) => deps.secrets.delete(ref),
          get: async (ref) => {
            if (ref === secretRef && holdNextRead) {
              holdNextRead = false;
              reached();
              await released;
            }
            return deps.secrets.get(ref);
          },
        },
      }),
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        await confirmExistingRole(handle);
        const step = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
        const instructions = step.pendingOperatorAction!.instructions;

        // The operator picks the wrong API Only User: its token's scope is that user's email.
        const wrongOwner = createdServiceSchema.parse(
          (
            await sandboxCall(h.sandbox, 'POST', '/sandbox/services', {
              displayName: instructionValue(instructions, 'Display Name'),
              email: other,
            })
          ).json,
        );
        await h.secrets.put(secretRef, wrongOwner);
        const refused = await handle.executeUpdate(completeOperatorStepUpdate, {
          args: [{ step: 'create-service', clientId: wrongOwner.clientId, secretRef }],
        });
        assert.equal(refused.verified, false);
        assert.match(refused.problem ?? '', new RegExp(`belongs to ${other}, not to ${request.email}`));
        assert.equal(refused.status.phase, 'awaiting-operator');

        const right = createdServiceSchema.parse(
          (
            await sandboxCall(h.sandbox, 'POST', '/sandbox/services', {
              displayName: instructionValue(instructions, 'Display Name'),
              email: request.email,
            })
          ).json,
        );
        await h.secrets.put(secretRef, right);
        holdNextRead = true;
        const completing = handle.executeUpdate(completeOperatorStepUpdate, {
          args: [{ step: 'create-service', clientId: right.clientId, secretRef }],
        });
        await verifying;
        await handle.signal(revokeSignal, { reason: 'revoked during verification' });
        await statusWhen(handle, (s) => s.timeline.some((e) => e.event === 'revoke requested'));
        release();
        assert.equal((await completing).verified, true);

        const final = await handle.result();
        assert.equal(final.phase, 'deactivated');
        assert.equal(final.deactivation?.cause, 'revoked');
        assert.equal(await h.secrets.get(secretRef), undefined, 'the verified secret is not left on disk');
        const notice = await eventually(() => h.notifier.of('deactivated', workflowId)[0]);
        assert.deepEqual(notice.details, { cause: 'revoked', outcome: final.deactivation?.outcome });
        assert.match(notice.message, /before it became active/);
      },
    );
  });
});
