/**
 * Attack: a lifecycle pointed at another lifecycle's secret ref. Refs are predictable (`file:lifecycle/<workflow
 * id>/...`) and workflow ids are listed by `temporal workflow list`, so whoever can start workflows or send
 * Updates knows every victim's ref. A workflow that trusted a ref it was given was handed the victim's service
 * (same Idempotency-Key), failed to verify it, and its undo deleted the victim's service and secret. Against a
 * real dev server and the real sandbox; the attacker holds the payload codec (it only lacks the victim's rights).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { z } from 'zod';
import type { AdminConsole } from '../../src/marketo/admin-console';
import { secretRefFor } from '../../src/security/secret-store';
import { lifecycleWorkflow } from '../../src/workflows';
import { completeOperatorStepUpdate, statusQuery } from '../../src/workflows/messages';
import { rejectsWith, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { instructionValue, sandboxCall, statusWhen, withAlteredWorkers } from '../lifecycle/support';

const createdRoleSchema = z.object({ id: z.number(), name: z.string() });

/** The causes of a workflow failure, outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(e);
  return chain;
}

async function scheduledActivities(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
}

describe('attack: a lifecycle pointed at another lifecycle’s secret ref', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let operatorH: Harness;
  withDevServerHarness(async (devServer, harness, { another }) => {
    env = devServer;
    h = harness;
    operatorH = await another({ sandbox: { mode: 'real-like' } });
  });

  it('a started lifecycle that names a victim’s secretRef is refused before any activity; the victim is untouched', async () => {
    const stamp = Date.now();
    const victimRequest = sampleRequest({ email: `victim-${stamp}@example.com` });
    await h.withWorkers(async () => {
      const victimId = await h.start(victimRequest);
      const victim = h.client.getHandle<typeof lifecycleWorkflow>(victimId);
      const active = await statusWhen(victim, (s) => s.phase === 'active');
      assert.ok(active.clientId && active.secretRef);
      const victimRef = active.secretRef;
      const victimSecret = await h.secrets.get(victimRef);
      assert.equal(victimSecret?.clientId, active.clientId);

      // The attacker's own email and a workflow id of its choosing; only the ref is the victim's.
      const attackerId = `attacker-${stamp}`;
      const attacker = await h.client.start(lifecycleWorkflow, {
        taskQueue: h.taskQueue,
        workflowId: attackerId,
        args: [
          {
            request: sampleRequest({ email: `attacker-${stamp}@example.com` }),
            secretRef: victimRef,
            workflowIdKeyFingerprint: h.workflowIdKeyFingerprint,
          },
        ],
      });
      const failure = await attacker.result().then(
        (result) => assert.fail(`the attacker's lifecycle ran: ${JSON.stringify(result)}`),
        (e: unknown) => e,
      );
      assert.ok(failure instanceof WorkflowFailedError, String(failure));
      const refused = causes(failure).find(
        (e): e is ApplicationFailure => e instanceof ApplicationFailure && e.type === 'InvalidInput',
      );
      assert.ok(refused, `not refused as invalid input: ${causes(failure).map(String).join(' <- ')}`);
      assert.match(refused.message, /secretRef: /);
      assert.equal(await scheduledActivities(attacker), 0, 'no activity ran for the attacker');

      // The victim keeps its service, its secret and its active lifecycle.
      const services = h.sandbox.snapshot().services.map((s) => s.clientId);
      assert.ok(services.includes(active.clientId), `the victim's service ${active.clientId} is gone`);
      assert.deepEqual(await h.secrets.get(victimRef), victimSecret, "the victim's secret is gone");
      const after = await victim.query(statusQuery);
      assert.equal(after.phase, 'active');
      assert.equal(after.clientId, active.clientId);
    });
  });

  it('service creations are keyed per run, never by the predictable secret ref', async () => {
    const keys: string[] = [];
    const request = sampleRequest({ email: `keyed-${Date.now()}@example.com` });
    await withAlteredWorkers(
      env,
      h,
      (deps) => {
        const real = deps.adminConsole;
        const recording: AdminConsole = {
          ...real,
          createService: (input) => {
            keys.push(input.idempotencyKey);
            return real.createService(input);
          },
        };
        return { ...deps, adminConsole: recording };
      },
      async () => {
        const workflowId = await h.start(request);
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
        const active = await statusWhen(handle, (s) => s.phase === 'active');
        const { runId } = await handle.describe();
        assert.ok(keys.length >= 1, 'a service was created');
        for (const key of keys) {
          assert.notEqual(key, secretRefFor(workflowId), 'the key is the guessable secret ref');
          assert.ok(!key.includes(workflowId), `the key ${key} is derived from the workflow id`);
          assert.ok(key.includes(runId), `the key ${key} is not this run's (${runId})`);
        }
        assert.equal(new Set(keys).size, 1, 'retries of one creation reuse one key');
        assert.ok(active.clientId);
      },
    );
  });

  it('complete-step with a ref outside the lifecycle’s own prefix is rejected by the validator', async () => {
    const stamp = Date.now();
    const roleName = `Foreign Ref ${stamp}`;
    const request = sampleRequest({
      email: `op-foreign-${stamp}@example.com`,
      role: { name: roleName, permissions: ['Read-Only Lead'], workspace: 0 },
    });
    // Another lifecycle's stored secret, where that lifecycle keeps it.
    const victimRef = secretRefFor(operatorH.workflowIdFor(`op-victim-${stamp}@example.com`));
    const victimSecret = { clientId: `victim-${stamp}`, clientSecret: `victim-secret-${stamp}` };
    await operatorH.secrets.put(victimRef, victimSecret);
    await operatorH.withWorkers(async () => {
      const workflowId = await operatorH.start(request);
      const handle = operatorH.client.getHandle<typeof lifecycleWorkflow>(workflowId);
      const awaitingRole = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-role');
      const made = await sandboxCall(operatorH.sandbox, 'POST', '/sandbox/roles', {
        name: instructionValue(awaitingRole.pendingOperatorAction!.instructions, 'Role Name'),
        permissions: ['Read-Only Lead'],
      });
      createdRoleSchema.parse(made.json);
      const roleDone = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [{ step: 'create-role' }],
      });
      assert.equal(roleDone.verified, true, roleDone.problem);
      await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');

      for (const foreign of [victimRef, `file:elsewhere/${workflowId}/custom-service`, `${victimRef}-x`]) {
        await rejectsWith(
          handle.executeUpdate(completeOperatorStepUpdate, {
            args: [{ step: 'create-service', clientId: victimSecret.clientId, secretRef: foreign }],
          }),
          /secretRef: .*file:lifecycle\//,
        );
      }
      // A ref in the lifecycle's own folder passes the validator and goes on to verification.
      const own = await handle.executeUpdate(completeOperatorStepUpdate, {
        args: [
          {
            step: 'create-service',
            clientId: 'abc',
            secretRef: `${secretRefFor(workflowId)}-from-operator-1`,
          },
        ],
      });
      assert.equal(own.verified, false);
      assert.match(own.problem ?? '', /no credentials are stored/);
      assert.equal(own.status.phase, 'awaiting-operator');
      assert.deepEqual(await operatorH.secrets.get(victimRef), victimSecret, "the victim's secret is gone");
    });
  });
});
