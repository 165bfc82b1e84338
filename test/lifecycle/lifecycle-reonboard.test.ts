/**
 * A new lifecycle for an email whose earlier lifecycle ended: the earlier one left its API-only user locked in
 * Marketo (ending never deletes), so the new one takes that user back, with the new expiry, names and role, and
 * replaces the earlier custom service. Started the way the client API starts lifecycles (src/lifecycle-start.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LifecycleRequestInput } from '../../src/domain/lifecycle-request';
import { lifecycleRequestSchema } from '../../src/domain/lifecycle-request';
import { startLifecycle } from '../../src/lifecycle-start';
import type { lifecycleWorkflow } from '../../src/workflows';
import { revokeUpdate } from '../../src/workflows/messages';
import { withDevServerHarness, rejectsWith, sampleRequest, type Harness } from '../helpers/lifecycle-harness';
import { garblingSecretStore, statusWhen, undoneSteps, withAlteredWorkers } from './support';

const DAY = 86_400_000;

describe('re-onboarding after the earlier lifecycle ended (dev server, sandbox)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness((devServer, harness) => {
    env = devServer;
    h = harness;
  });

  const usersOf = (email: string) => h.sandbox.snapshot().users.filter((u) => u.emailAddress === email);
  const servicesOf = (email: string) => h.sandbox.snapshot().services.filter((s) => s.ownerEmail === email);

  async function onboard(input: LifecycleRequestInput) {
    const request = lifecycleRequestSchema.parse(input);
    const workflowId = h.workflowIdFor(request.email);
    const { started } = await startLifecycle(h.client, {
      workflowId,
      taskQueue: h.taskQueue,
      request,
      workflowIdKeyFingerprint: h.workflowIdKeyFingerprint,
    });
    return { started, handle: h.client.getHandle<typeof lifecycleWorkflow>(workflowId) };
  }

  it('onboard, revoke, onboard again: active on the same user, one service, the new expiry, the old secret dead', async () => {
    const email = `again-${Date.now()}@example.com`;
    await h.withWorkers(async () => {
      const first = await onboard(
        sampleRequest({ email, expiresAt: new Date(Date.now() + 30 * DAY).toISOString() }),
      );
      assert.equal(first.started, true);
      const active1 = await statusWhen(first.handle, (s) => s.phase === 'active');
      const oldSecret = await h.secrets.get(active1.secretRef!);
      assert.ok(oldSecret);
      await first.handle.executeUpdate(revokeUpdate, { args: [{ reason: 'project paused' }] });
      await first.handle.result();
      assert.equal(usersOf(email)[0]?.isLocked, true, 'ending locks and keeps the user');

      const secondRole = `Reonboard Role ${Date.now()}`;
      const second = await onboard(
        sampleRequest({
          email,
          lastName: 'Renamed',
          role: { name: secondRole, permissions: ['Read-Only Lead'], workspace: 0 },
          expiresAt: new Date(Date.now() + 20 * DAY).toISOString(),
        }),
      );
      assert.equal(second.started, true);
      const active2 = await statusWhen(second.handle, (s) => s.phase === 'active' || s.phase === 'failed');
      assert.equal(active2.phase, 'active', JSON.stringify(active2.failure));
      assert.ok(active2.timeline.some((e) => e.event === 'user adopted'));

      const users = usersOf(email);
      assert.equal(users.length, 1, 'exactly one user');
      const user = users[0]!;
      assert.equal(user.id, active1.marketoUserId, 'the same Marketo user');
      assert.equal(user.isLocked, false);
      assert.equal(user.expiresAt, active2.expiresAt, 'the new expiry is set in Marketo');
      assert.equal(user.lastName, 'Renamed');
      const role = h.sandbox.snapshot().roles.find((r) => r.name === secondRole);
      assert.ok(role);
      assert.deepEqual(
        user.userRoleWorkspaces,
        [{ accessRoleId: role.id, workspaceId: 0 }],
        'only the new role',
      );

      const services = servicesOf(email);
      assert.equal(services.length, 1, 'exactly one custom service');
      assert.equal(services[0]!.clientId, active2.clientId);
      assert.notEqual(active2.clientId, active1.clientId, 'a new service, not the earlier one');
      assert.equal((await h.secrets.get(active2.secretRef!))?.clientId, active2.clientId);
      await rejectsWith(h.marketo.verifyCredentials(oldSecret.clientId, oldSecret.clientSecret), /./);

      const runs = [];
      for await (const w of h.client.list({ query: `WorkflowId = '${first.handle.workflowId}'` }))
        runs.push(w);
      assert.equal(runs.length, 2, 'two runs of one lifecycle id');
      await second.handle.executeUpdate(revokeUpdate, { args: [{}] });
    });
  });

  it('a re-onboarding that fails for good locks the taken-over user again instead of deleting it', async () => {
    const email = `again-fail-${Date.now()}@example.com`;
    const before = await h.withWorkers(async () => {
      const first = await onboard(sampleRequest({ email }));
      const active = await statusWhen(first.handle, (s) => s.phase === 'active');
      await first.handle.executeUpdate(revokeUpdate, { args: [{}] });
      await first.handle.result();
      return active;
    });
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, secrets: garblingSecretStore(deps.secrets) }),
      async () => {
        const second = await onboard(sampleRequest({ email }));
        await rejectsWith(second.handle.result(), /did not verify/);
        const failed = await statusWhen(second.handle, (s) => s.phase === 'failed');
        const undone = undoneSteps(failed);
        assert.ok(
          undone.some((u) => /kept from the earlier lifecycle.*locked again/.test(u)),
          undone.join(' | '),
        );
      },
    );
    const users = usersOf(email);
    assert.equal(users.length, 1, 'the user is kept');
    assert.equal(users[0]!.id, before.marketoUserId);
    assert.equal(users[0]!.isLocked, true, 'and locked again');
    assert.equal(servicesOf(email).length, 0, 'no service left behind');
  });
});
