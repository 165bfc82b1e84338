import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lifecycleRequestSchema, toWholeSecond } from '../../src/domain/lifecycle-request';
import { startLifecycle } from '../../src/lifecycle-start';
import type { lifecycleWorkflow } from '../../src/workflows';
import { extendUpdate, revokeUpdate, statusQuery } from '../../src/workflows/messages';
import {
  withDevServerHarness,
  eventually,
  rejectsWith,
  sampleRequest,
  type Harness,
} from '../helpers/lifecycle-harness';

describe('lifecycle on the dev server against the sandbox', () => {
  let h: Harness;
  withDevServerHarness((_, harness) => {
    h = harness;
  });

  const statusOf = (workflowId: string) => h.client.getHandle(workflowId).query(statusQuery);
  const sandboxUser = (email: string) => h.sandbox.snapshot().users.find((u) => u.emailAddress === email);

  it('provisions role, user and service, then locks the user at expiry', async () => {
    await h.withWorkers(async () => {
      // The expiry is set once workers are up: a cold bundle must not eat into a 6 s lifetime.
      const request = sampleRequest({ expiresAt: new Date(Date.now() + 6_000).toISOString() });
      const workflowId = await h.start(request);
      const active = await eventually(async () => {
        const s = await statusOf(workflowId);
        return s.phase === 'active' ? s : undefined;
      });
      const user = sandboxUser(request.email);
      assert.ok(user, 'the user exists in the sandbox');
      assert.equal(user.apiOnly, true);
      assert.equal(user.isLocked, false);
      assert.equal(active.userId, user.userid);
      const role = h.sandbox.snapshot().roles.find((r) => r.name === request.role.name);
      assert.ok(role, 'the role was created');
      assert.equal(active.roleId, role.id);
      assert.deepEqual(user.userRoleWorkspaces, [{ accessRoleId: role.id, workspaceId: 0 }]);
      const services = h.sandbox.snapshot().services.filter((s) => s.ownerEmail === request.email);
      assert.equal(services.length, 1);
      assert.equal(active.clientId, services[0]!.clientId);
      const stored = await h.secrets.get(active.secretRef!);
      assert.equal(stored?.clientId, active.clientId, 'the secret store holds the credentials');

      const final = await h.client.getHandle<typeof lifecycleWorkflow>(workflowId).result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'expired');
      const locked = sandboxUser(request.email);
      assert.equal(locked?.isLocked, true);
      assert.ok(Date.parse(locked.lockedAt!) >= Date.parse(final.expiresAt), 'not locked early');
      assert.equal(await h.secrets.get(active.secretRef!), undefined, 'the stored secret is deleted');
      assert.equal(h.notifier.of('deactivated', workflowId).length, 1);
      assert.equal(
        h.notifier.of('reminder', workflowId).length,
        0,
        'no reminder: every default lead is longer than the 6 s of access, and whoever set the date knows it',
      );
    });
  });

  it('extend moves the expiry in Marketo and the lock later; revoke locks at once', async () => {
    const request = sampleRequest({ expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await h.withWorkers(async () => {
      const workflowId = await h.start(request);
      const handle = h.client.getHandle(workflowId);
      await eventually(async () => ((await handle.query(statusQuery)).phase === 'active' ? true : undefined));
      // Expiries are whole seconds (Marketo keeps seconds): ask for one with milliseconds, get it rounded up.
      const asked = new Date(Date.now() + 120_000).toISOString();
      const later = toWholeSecond(asked);
      const extended = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: asked }] });
      assert.equal(extended.expiresAt, later);
      assert.equal(extended.extensions, 1);
      assert.equal(sandboxUser(request.email)?.expiresAt, later, 'Marketo has the new expiry');

      await rejectsWith(
        handle.executeUpdate(extendUpdate, {
          args: [{ expiresAt: new Date(Date.now() + 1000).toISOString() }],
        }),
        /later than the current expiry/,
      );
      await rejectsWith(
        handle.executeUpdate(extendUpdate, {
          args: [{ expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() }],
        }),
        /maximum lifetime/,
      );
      await rejectsWith(
        handle.executeUpdate(extendUpdate, { args: [{ expiresAt: 'next tuesday' }] }),
        /expiresAt: must be an ISO-8601/,
      );
      assert.equal(sandboxUser(request.email)?.expiresAt, later, 'refused extensions changed nothing');

      const revokedAt = Date.now();
      const revoked = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'contract ended' }] });
      assert.equal(revoked.phase, 'deactivated');
      assert.equal(revoked.deactivation?.cause, 'revoked');
      assert.equal(revoked.deactivation?.reason, 'contract ended');
      const user = sandboxUser(request.email);
      assert.equal(user?.isLocked, true);
      assert.ok(Date.parse(user.lockedAt!) < Date.parse(later), 'locked long before the expiry');
      assert.ok(Date.parse(user.lockedAt!) >= revokedAt - 1000);
    });
  });

  it('starting twice at once makes one lifecycle and one user', async () => {
    const request = lifecycleRequestSchema.parse(sampleRequest());
    const first = h.workflowIdFor(request.email);
    await h.withWorkers(async () => {
      // As the client API starts lifecycles, twice at once: the server, not a prior look, must keep it one run.
      const start = () =>
        startLifecycle(h.client, {
          workflowId: first,
          taskQueue: h.taskQueue,
          request,
          workflowIdKeyFingerprint: h.workflowIdKeyFingerprint,
        });
      await Promise.all([start(), start()]);
      await eventually(async () => ((await statusOf(first)).phase === 'active' ? true : undefined));
      const users = h.sandbox.snapshot().users.filter((u) => u.emailAddress === request.email);
      assert.equal(users.length, 1);
      assert.equal(h.sandbox.snapshot().services.filter((s) => s.ownerEmail === request.email).length, 1);
      const runs = [];
      for await (const w of h.client.list({ query: `WorkflowId = '${first}'` })) runs.push(w.runId);
      assert.equal(runs.length, 1, 'one workflow run');
      await h.client.getHandle(first).executeUpdate(revokeUpdate, { args: [{}] });
    });
  });

  it('a user that exists but is not ours fails for good and leaves nothing behind', async () => {
    const request = sampleRequest({
      role: { name: `Role ${Date.now()}`, permissions: ['Read-Only Lead'], workspace: 0 },
    });
    // Someone made this user by hand, with other names.
    const marketoUsersBefore = h.sandbox.snapshot().users.length;
    await h.marketo.inviteUser({
      emailAddress: request.email,
      firstName: 'Someone',
      lastName: 'Else',
      apiOnly: true,
      userRoleWorkspaces: [{ accessRoleId: 2, workspaceId: 0 }],
    });
    await h.withWorkers(async () => {
      const workflowId = await h.start(request);
      await rejectsWith(h.client.getHandle(workflowId).result(), /not created by this lifecycle/);
      const status = await statusOf(workflowId);
      assert.equal(status.phase, 'failed');
      assert.equal(status.failure?.type, 'UserAlreadyExists');
      assert.equal(
        h.sandbox.snapshot().roles.find((r) => r.name === request.role.name),
        undefined,
        'the role we made is undone',
      );
      assert.equal(
        h.sandbox.snapshot().users.length,
        marketoUsersBefore + 1,
        'the hand-made user is untouched',
      );
    });
  });
});
