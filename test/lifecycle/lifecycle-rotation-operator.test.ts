/**
 * Rotation on a real-like instance, where software can neither make nor delete a custom service: the operator
 * makes the second one as the workflow's instructions say (the old client id refused in its place), both work
 * during the overlap, the operator deletes the old one and the workflow believes it only once the old client id
 * is refused a token; an operator who never makes the second service leaves the working one untouched. The
 * test plays the operator through the sandbox's operator endpoints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { rotatedServiceDisplayName } from '../../src/domain/lifecycle-request';
import { ownSecretRefPrefix } from '../../src/domain/secret-refs';
import { isMarketoApiError } from '../../src/marketo/errors';
import type { lifecycleWorkflow } from '../../src/workflows';
import {
  completeOperatorStepUpdate,
  confirmSwitchUpdate,
  requestQuery,
  revokeUpdate,
  rotateUpdate,
} from '../../src/workflows/messages';
import { eventually, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import {
  ANALYTICS_USER_ROLE,
  createServiceAsOperator,
  instructionValue,
  onboardAsOperator,
  sandboxCall,
  statusWhen,
} from './support';

const HOUR = 3_600_000;

describe('lifecycle rotation, operator path (sandbox in real-like mode)', () => {
  let h: Harness;
  withDevServerHarness(
    (_server, harness) => {
      h = harness;
    },
    { sandbox: { mode: 'real-like' } },
  );

  /** 'token' when the client id and secret get a token now, 'refused' when Marketo answers 401. */
  async function tokenFor(credentials: {
    clientId: string;
    clientSecret: string;
  }): Promise<'token' | 'refused'> {
    try {
      await h.marketo.verifyCredentials(credentials.clientId, credentials.clientSecret);
      return 'token';
    } catch (error) {
      if (isMarketoApiError(error) && error.kind === 'invalid_credentials') return 'refused';
      throw error;
    }
  }
  const servicesOf = (email: string) =>
    h.sandbox
      .snapshot()
      .services.filter((s) => s.ownerEmail === email)
      .map((s) => s.clientId);

  async function activeLifecycle(
    name: string,
    policy = {},
  ): Promise<{ handle: WorkflowHandle<typeof lifecycleWorkflow>; email: string }> {
    const email = `rot-op-${name}-${Date.now()}@example.com`;
    const expiresAt = new Date(Date.now() + 24 * HOUR).toISOString();
    const workflowId = await h.start(sampleRequest({ email, expiresAt, role: ANALYTICS_USER_ROLE, policy }));
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await onboardAsOperator(h, handle);
    return { handle, email };
  }

  it('the operator makes the second service (not the old one again), then deletes the old one, proven dead', async () => {
    await h.withWorkers(async () => {
      const { handle, email } = await activeLifecycle('full');
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
      const old = rotated.rotation!.retiring;
      const oldCredentials = (await h.secrets.get(old.secretRef))!;
      const step = rotated.pendingOperatorAction;
      assert.equal(step?.step, 'create-service');
      assert.equal(rotated.rotation?.stage, 'staging');
      const request = await handle.query(requestQuery);
      assert.equal(
        instructionValue(step.instructions, 'Display Name'),
        rotatedServiceDisplayName(request, 1),
      );
      assert.equal(instructionValue(step.instructions, 'API Only User'), email);
      assert.ok(
        step.instructions.some((l) => l.includes(old.clientId)),
        'names the service to keep',
      );

      // The operator copies the old service's details by mistake: refused, and the old one stays in use.
      const mixedUpRef = `${ownSecretRefPrefix(handle.workflowId)}rotation-mixed-up`;
      await h.secrets.put(mixedUpRef, oldCredentials);
      const mixedUp = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-service', clientId: old.clientId, secretRef: mixedUpRef }],
      });
      assert.equal(mixedUp.verified, false);
      assert.match(mixedUp.problem ?? '', /is the service being retired: create a second service/);
      assert.equal(mixedUp.status.clientId, old.clientId);
      assert.equal(mixedUp.status.pendingOperatorAction?.step, 'create-service');

      const fresh = await createServiceAsOperator(h.sandbox, step.instructions);
      const freshRef = `${ownSecretRefPrefix(handle.workflowId)}rotation-1-from-operator`;
      await h.secrets.put(freshRef, fresh);
      const staged = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-service', clientId: fresh.clientId, secretRef: freshRef }],
      });
      assert.equal(staged.verified, true, staged.problem);
      assert.equal(staged.status.rotation?.stage, 'overlap');
      assert.equal(staged.status.clientId, fresh.clientId, 'the new service is handed over from now on');
      assert.equal(staged.status.pendingOperatorAction, undefined);
      assert.equal(await tokenFor(oldCredentials), 'token', 'the old one works during the overlap');
      assert.equal(await tokenFor(fresh), 'token', 'the new one works');

      const switched = await handle.executeUpdate(confirmSwitchUpdate, { args: [{}] });
      const retire = switched.pendingOperatorAction;
      assert.equal(retire?.step, 'retire-service');
      assert.equal(switched.rotation?.stage, 'retiring');
      assert.ok(
        retire.instructions.some((l) => l.includes(`Client Id is ${old.clientId}, then Delete`)),
        retire.instructions.join(' | '),
      );

      // "Done" before the operator deleted anything: the proof catches it.
      const early = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'retire-service' }],
      });
      assert.equal(early.verified, false);
      assert.match(early.problem ?? '', new RegExp(`client id ${old.clientId} still gets a token`));
      assert.equal(early.status.pendingOperatorAction?.step, 'retire-service');
      assert.equal(await tokenFor(oldCredentials), 'token');

      const deleted = await sandboxCall(h.sandbox, 'DELETE', `/sandbox/services/${old.clientId}`);
      assert.ok(deleted.status < 300, `the operator deleted it (${deleted.status})`);
      const done = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'retire-service' }],
      });
      assert.equal(done.verified, true, done.problem);
      assert.equal(done.status.rotation, undefined);
      assert.equal(done.status.pendingOperatorAction, undefined);
      assert.equal(done.status.lastRotation?.outcome, 'completed');
      assert.equal(done.status.lastRotation?.retiredClientId, old.clientId);
      assert.equal(await tokenFor(oldCredentials), 'refused', 'Marketo answers 401 for the old client id');
      assert.equal(await h.secrets.get(old.secretRef), undefined, 'the old secret is deleted');
      assert.equal(await tokenFor(fresh), 'token', 'the new one still works');
      assert.deepEqual(servicesOf(email), [fresh.clientId], 'one service left for the user');
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
    });
    assert.equal(h.sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
  });

  it('abandons the rotation when the operator never makes the second service, keeping the working one', async () => {
    // Short enough to wait for; each onboarding step has the same deadline, and the test plays it at once.
    const policy = { operatorStepDeadlineMs: 6000, operatorReminderEveryMs: 2000 };
    await h.withWorkers(async () => {
      const { handle, email } = await activeLifecycle('abandon', policy);
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
      assert.equal(rotated.pendingOperatorAction?.step, 'create-service');
      const working = { clientId: rotated.clientId!, secretRef: rotated.secretRef! };
      const abandoned = await statusWhen(handle, (s) => s.lastRotation?.outcome === 'abandoned');
      assert.equal(abandoned.rotation, undefined);
      assert.equal(abandoned.pendingOperatorAction, undefined);
      assert.match(
        abandoned.lastRotation!.detail,
        /did not create the new service by .*undone: nothing was made/,
      );
      assert.equal(abandoned.phase, 'active');
      assert.deepEqual({ clientId: abandoned.clientId, secretRef: abandoned.secretRef }, working);
      assert.equal(await tokenFor((await h.secrets.get(working.secretRef))!), 'token', 'and it still works');
      assert.deepEqual(servicesOf(email), [working.clientId]);
      const asked = h.notifier
        .of('operator-action-needed', handle.workflowId)
        .filter((n) => n.details?.['step'] === 'create-service' && n.details['rotation'] === 1);
      assert.ok(asked.length >= 1, 'the operator was reminded before the rotation was given up');
      await eventually(() => h.notifier.of('rotation-needs-attention', handle.workflowId)[0]);
      assert.equal(h.notifier.of('rotation-needs-attention', handle.workflowId).length, 1);
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
    });
  });
});
