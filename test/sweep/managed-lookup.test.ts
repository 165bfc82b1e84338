/**
 * The sweep's managed-user lookup reads visibility, not the lifecycles: it answers for a page with no worker
 * running (a status Query would need one to replay each lifecycle), takes the expiry and the email from the
 * search attributes and the decrypted memo, and leaves out a user without a lifecycle and one whose lifecycle ended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { managedLifecyclesOfFrom } from '../../src/app/sweep-deps';
import type { lifecycleWorkflow } from '../../src/workflows';
import { revokeUpdate } from '../../src/workflows/messages';
import { sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen } from '../lifecycle/support';

describe("sweep's managed-user lookup from visibility (dev server, sandbox)", () => {
  let h: Harness;
  withDevServerHarness((_env, harness) => {
    h = harness;
  });

  it('finds the active lifecycle of a page without asking it, and only that one', async () => {
    const stamp = Date.now();
    const active = sampleRequest({ email: `Managed-${stamp}@Example.com` });
    const ended = sampleRequest({ email: `ended-${stamp}@example.com` });
    const expiresAt = await h.withWorkers(async () => {
      const handle = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(active));
      const gone = h.client.getHandle<typeof lifecycleWorkflow>(await h.start(ended));
      const status = await statusWhen(handle, (s) => s.phase === 'active' || s.phase === 'failed');
      assert.equal(status.phase, 'active', JSON.stringify(status.failure));
      await statusWhen(gone, (s) => s.phase === 'active');
      await gone.executeUpdate(revokeUpdate, { args: [{ reason: 'lookup test' }] });
      return status.expiresAt;
    });
    // The workers are stopped: nothing could answer a Query now.
    const lookup = managedLifecyclesOfFrom(h.client, {
      taskQueue: h.taskQueue,
      workflowIdFor: (email: string) => h.workflowIdFor(email),
    });
    const managed = await lookup([active.email, ended.email, `nobody-${stamp}@example.com`]);
    const key = active.email.toLowerCase();
    assert.deepEqual(Object.keys(managed), [key]);
    assert.equal(managed[key]?.workflowId, h.workflowIdFor(active.email));
    assert.equal(Date.parse(managed[key].expiresAt), Date.parse(expiresAt));
  });
});
