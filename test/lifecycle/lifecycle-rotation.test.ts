/**
 * Rotating a custom service's secret on the sandbox (automatic mode): a second service for the same user, both
 * working during the overlap, the old one deleted and proven dead; a second rotation refused during the overlap;
 * a revoke during the overlap ending both; an extension leaving the rotation alone; a half-made rotation undone
 * without touching the working service; a failed proof said loudly and tried again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isMarketoApiError } from '../../src/marketo/errors';
import type { lifecycleWorkflow } from '../../src/workflows';
import {
  confirmSwitchUpdate,
  extendUpdate,
  revokeUpdate,
  rotateUpdate,
  statusQuery,
} from '../../src/workflows/messages';
import {
  eventually,
  rejectsWith,
  sampleRequest,
  withDevServerHarness,
  type Harness,
} from '../helpers/lifecycle-harness';
import { garblingSecretStore, statusWhen, withAlteredWorkers } from './support';

const HOUR = 3_600_000;

describe('lifecycle rotation (sandbox, automatic)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness((server, harness) => {
    env = server;
    h = harness;
  });

  /** 'token' when the client id and secret get a token now, 'refused' when Marketo answers 401. */
  async function tokenFor(secretRef: string): Promise<'token' | 'refused' | 'no secret'> {
    const stored = await h.secrets.get(secretRef);
    if (!stored) return 'no secret';
    try {
      await h.marketo.verifyCredentials(stored.clientId, stored.clientSecret);
      return 'token';
    } catch (error) {
      if (isMarketoApiError(error) && error.kind === 'invalid_credentials') return 'refused';
      throw error;
    }
  }
  const servicesOf = (email: string) => {
    const snapshot = h.sandbox.snapshot();
    const user = snapshot.users.find((u) => u.emailAddress === email)!;
    return snapshot.services.filter((s) => s.ownerUserId === user.id);
  };

  async function activeLifecycle(
    name: string,
  ): Promise<{ handle: WorkflowHandle<typeof lifecycleWorkflow>; email: string }> {
    const email = `rot-${name}-${Date.now()}@example.com`;
    const workflowId = await h.start(
      sampleRequest({ email, expiresAt: new Date(Date.now() + 24 * HOUR).toISOString() }),
    );
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await statusWhen(handle, (s) => s.phase === 'active');
    return { handle, email };
  }

  it('stages a second service, both work in the overlap, then the old one is deleted and proven dead', async () => {
    await h.withWorkers(async () => {
      const { handle, email } = await activeLifecycle('full');
      const before = await handle.query(statusQuery);
      const old = { clientId: before.clientId!, secretRef: before.secretRef! };
      const rotated = await handle.executeUpdate(rotateUpdate, {
        args: [{ overlapMs: HOUR, actor: 'tester' }],
      });
      assert.equal(rotated.rotation?.stage, 'overlap');
      assert.notEqual(rotated.clientId, old.clientId, 'the status hands over the new service');
      assert.deepEqual(rotated.rotation?.retiring, old);
      assert.equal(await tokenFor(old.secretRef), 'token', 'the old one works during the overlap');
      assert.equal(await tokenFor(rotated.secretRef!), 'token', 'the new one works');
      assert.equal(servicesOf(email).length, 2, 'two services for one user during the overlap');
      // Delivered beside the update's answer, not before it.
      await eventually(() => h.notifier.of('credentials-rotated', handle.workflowId)[0]);
      const told = h.notifier.of('credentials-rotated', handle.workflowId);
      assert.equal(told.length, 1);
      assert.equal(told[0]!.details?.['oldClientId'], old.clientId);
      assert.doesNotMatch(JSON.stringify(told), /secret/i, 'no secret in the notification');

      // A second rotation during the overlap is refused, with the time the current one ends.
      await rejectsWith(
        handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] }),
        new RegExp(`overlap ends at ${rotated.rotation.overlapEndsAt!.replace(/[.]/g, '\\.')}`),
      );

      const done = await handle.executeUpdate(confirmSwitchUpdate, { args: [{ actor: 'tester' }] });
      assert.equal(done.rotation, undefined);
      assert.equal(done.lastRotation?.outcome, 'completed');
      assert.equal(done.lastRotation?.retiredClientId, old.clientId);
      assert.ok(done.timeline.some((e) => e.event === 'old credentials dead'));
      assert.equal(await tokenFor(old.secretRef), 'no secret', 'the old secret is deleted from the store');
      assert.equal(await tokenFor(done.secretRef!), 'token', 'the new one still works');
      assert.deepEqual(
        servicesOf(email).map((s) => s.clientId),
        [done.clientId],
        'one service left for the user: the new one',
      );
    });
  });

  it('proves the old client id dead by a 401 before it deletes the old secret', async () => {
    let oldCredentials: { clientId: string; clientSecret: string } | undefined;
    await h.withWorkers(async () => {
      const { handle } = await activeLifecycle('proof');
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
      oldCredentials = await h.secrets.get(rotated.rotation!.retiring.secretRef);
      await handle.executeUpdate(confirmSwitchUpdate, { args: [{}] });
    });
    await assert.rejects(
      h.marketo.verifyCredentials(oldCredentials!.clientId, oldCredentials!.clientSecret),
      (error: unknown) => isMarketoApiError(error) && error.kind === 'invalid_credentials',
      'Marketo answers 401 for the retired client id',
    );
  });

  it('a revoke during the overlap ends both services and leaves the user one service', async () => {
    await h.withWorkers(async () => {
      const { handle, email } = await activeLifecycle('revoke');
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
      const oldRef = rotated.rotation!.retiring.secretRef;
      const oldStored = await h.secrets.get(oldRef);
      const newStored = await h.secrets.get(rotated.secretRef!);
      const ended = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'offboarded' }] });
      assert.equal(ended.phase, 'deactivated');
      assert.equal(ended.lastRotation?.outcome, 'abandoned');
      assert.equal(await h.secrets.get(oldRef), undefined, 'old secret deleted');
      assert.equal(await h.secrets.get(rotated.secretRef!), undefined, 'new secret deleted');
      for (const stored of [oldStored!, newStored!]) {
        await assert.rejects(
          h.marketo.verifyCredentials(stored.clientId, stored.clientSecret),
          (error: unknown) => isMarketoApiError(error) && error.kind === 'invalid_credentials',
        );
      }
      assert.equal(servicesOf(email).length, 1, 'the retiring service is deleted with the access');
    });
  });

  it('an extension during the overlap leaves the rotation as it was', async () => {
    await h.withWorkers(async () => {
      const { handle } = await activeLifecycle('extend');
      const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
      const later = new Date(Date.parse(rotated.expiresAt) + 24 * HOUR).toISOString();
      const extended = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: later }] });
      assert.equal(extended.expiresAt, later);
      assert.deepEqual(extended.rotation, rotated.rotation, 'same stage, services and overlap end');
      assert.equal(extended.clientId, rotated.clientId);
    });
  });

  it('refuses a rotation whose overlap would outlast the access', async () => {
    await h.withWorkers(async () => {
      const { handle } = await activeLifecycle('too-long');
      await rejectsWith(
        handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: 48 * HOUR }] }),
        /before an overlap of 2d would end: extend it first/,
      );
      await rejectsWith(handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: 1000 }] }), /overlapMs/);
    });
  });

  it('undoes a half-made rotation (new secret never verifies) and keeps the working service', async () => {
    const { handle, email, before } = await h.withWorkers(async () => {
      const made = await activeLifecycle('undo');
      return { ...made, before: await made.handle.query(statusQuery) };
    });
    const status = await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, secrets: garblingSecretStore(deps.secrets) }),
      async () => {
        const answer = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: HOUR }] });
        // Sent beside the answer: the workers must still run to deliver it.
        await eventually(() => h.notifier.of('rotation-needs-attention', handle.workflowId)[0]);
        return answer;
      },
    );
    assert.equal(status.rotation, undefined);
    assert.equal(status.lastRotation?.outcome, 'abandoned');
    assert.match(status.lastRotation.detail, /undone: service \S+: deleted/);
    assert.equal(status.clientId, before.clientId, 'the working service is still the one handed over');
    assert.equal(await tokenFor(before.secretRef!), 'token', 'and it still works');
    assert.deepEqual(
      servicesOf(email).map((s) => s.clientId),
      [before.clientId],
    );
    assert.equal(h.notifier.of('rotation-needs-attention', handle.workflowId).length, 1);
  });
});
