/**
 * How a lifecycle ends, on the dev server against the sandbox: revoke as a Signal, drift found at the expiry,
 * and the outcomes "already locked" (the expiry is still set to now) and "gone".
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { MarketoClient } from '../../src/marketo/client';
import type { lifecycleWorkflow } from '../../src/workflows';
import { revokeSignal, revokeUpdate } from '../../src/workflows/messages';
import { withDevServerHarness, eventually, sampleRequest, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen, withAlteredWorkers } from './support';

/** The orchestrator's client, except that Marketo reports every user locked (as for a reason other than expiry). */
function reportingLocked(real: MarketoClient): MarketoClient {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'getUser') {
        return async (...args: Parameters<MarketoClient['getUser']>) => ({
          ...(await target.getUser(...args)),
          isLocked: true,
          lockedReason: 'locked by an admin',
        });
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('lifecycle deactivation (dev server, sandbox)', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness((devServer, harness) => {
    env = devServer;
    h = harness;
  });

  const sandboxUser = (email: string) => h.sandbox.snapshot().users.find((u) => u.emailAddress === email);

  it('revoke sent as a Signal locks the user at once', async () => {
    const request = sampleRequest();
    await h.withWorkers(async () => {
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(request));
      await statusWhen(handle, (s) => s.phase === 'active');
      assert.equal(sandboxUser(request.email)?.isLocked, false);
      await handle.signal(revokeSignal, { reason: 'signalled' });
      const final = await handle.result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'revoked');
      assert.equal(final.deactivation?.reason, 'signalled');
      assert.equal(sandboxUser(request.email)?.isLocked, true);
    });
  });

  it('drift found at the expiry is recorded in the status and in the deactivated notification', async () => {
    await h.withWorkers(async () => {
      const request = sampleRequest({ expiresAt: new Date(Date.now() + 8_000).toISOString() });
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(request));
      // No reminder (every lead is longer than the access), so no drift check runs before the expiry's own.
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      const byHand = new Date(Math.ceil((Date.now() + 3_600_000) / 1000) * 1000);
      await h.marketo.updateUser(active.userId!, { expiresAt: byHand });
      const final = await handle.result();
      assert.equal(final.deactivation?.cause, 'expired');
      assert.equal(final.drift.length, 1, JSON.stringify(final.drift));
      const drift = final.drift[0]!;
      assert.equal(Date.parse(drift.marketoExpiresAt!), byHand.getTime());
      assert.equal(drift.workflowExpiresAt, final.expiresAt);
      assert.equal(drift.corrected, false);
      const notice = await eventually(() => h.notifier.of('deactivated', handle.workflowId)[0]);
      assert.deepEqual((notice.details as { drift: unknown }).drift, final.drift);
      assert.equal(sandboxUser(request.email)?.isLocked, true, "the workflow's date wins");
    });
  });

  it('a user already locked with its expiry still ahead gets its expiry set to now', async () => {
    const request = sampleRequest();
    await withAlteredWorkers(
      env,
      h,
      (deps) => ({ ...deps, marketo: reportingLocked(deps.marketo) }),
      async () => {
        const handle = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(request));
        await statusWhen(handle, (s) => s.phase === 'active');
        const revokedAt = Date.now();
        const final = await handle.executeUpdate(revokeUpdate, { args: [{}] });
        assert.match(final.deactivation?.outcome ?? '', /^already locked/);
        const user = sandboxUser(request.email);
        assert.ok(user?.expiresAt && Date.parse(user.expiresAt) <= Date.now(), `expiry ${user?.expiresAt}`);
        assert.ok(Date.parse(user.expiresAt) >= revokedAt - 1000);
        assert.equal(
          user.isLocked,
          true,
          'an admin unlock would not have given access back: Marketo locks it',
        );
      },
    );
  });

  it('a user gone from Marketo counts as deactivated', async () => {
    const request = sampleRequest();
    await h.withWorkers(async () => {
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(request));
      const active = await statusWhen(handle, (s) => s.phase === 'active');
      assert.equal(await h.deps.adminConsole.deleteService(active.clientId!), 'deleted');
      await h.marketo.deleteUser(active.userId!);
      const final = await handle.executeUpdate(revokeUpdate, { args: [{}] });
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.outcome, 'gone');
      assert.equal(await h.secrets.get(active.secretRef!), undefined, 'the stored secret is deleted');
    });
  });
});
