/**
 * A CLI whose workflow-id key differs from the worker's computes another workflow id for the same email, so
 * its onboarding started a second lifecycle that took over the first one's user. The worker must refuse a
 * lifecycle started with another key, before it touches Marketo. Against a real dev server and the sandbox.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { LifecycleClient, type OnboardInput } from '../../src/client';
import { WORKFLOW_ID_KEY_ENV } from '../../src/security/keyring';
import { instanceIdFromBaseUrl } from '../../src/security/workflow-id';
import { withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';

describe('attack: a client with another workflow-id key than the worker', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  withDevServerHarness((devServer, harness) => {
    env = devServer;
    h = harness;
  });

  /** A client of the harness's worker: same data folder and payload keys, optionally another workflow-id key. */
  const clientWith = (workflowIdKey?: string) =>
    LifecycleClient.connect({
      connection: env.connection,
      dataDir: h.dataDir,
      env: {
        MARKETO_INSTANCE_ID: instanceIdFromBaseUrl(h.sandbox.baseUrl),
        MARKETO_API_USERS_TASK_QUEUE: h.taskQueue,
        ...(workflowIdKey ? { [WORKFLOW_ID_KEY_ENV]: workflowIdKey } : {}),
      },
    });

  it('refuses the lifecycle with a message that says to use the same key file, and leaves the first one alone', async () => {
    const stamp = Date.now();
    const input: OnboardInput = {
      email: `key-mismatch-${stamp}@example.com`,
      firstName: 'Key',
      lastName: 'Mismatch',
      role: { name: 'Key Mismatch Role', permissions: ['Read-Only Lead'], workspace: 0 },
      expiresAt: new Date(Math.ceil((Date.now() + 10 * 86_400_000) / 1000) * 1000).toISOString(),
    };
    const same = await clientWith();
    const other = await clientWith(randomBytes(32).toString('base64'));
    try {
      await h.withWorkers(async () => {
        const first = await same.onboard(input, { timeoutMs: 60_000 });
        assert.equal(first.phase, 'active', JSON.stringify(first.failure));
        const servicesBefore = h.sandbox.snapshot().services.filter((s) => s.ownerEmail === input.email);
        assert.equal(servicesBefore.length, 1);

        const second = await other.onboard(input, { timeoutMs: 60_000 });
        assert.notEqual(second.workflowId, first.workflowId, 'the other key gives another workflow id');
        assert.equal(second.phase, 'failed', `the mismatched lifecycle went ${second.phase}`);
        assert.equal(second.failure?.type, 'WorkflowIdKeyMismatch');
        assert.match(second.failure?.message ?? '', /same key file/);
        assert.equal(second.userId, null, 'it never got to the user');

        const services = h.sandbox.snapshot().services.filter((s) => s.ownerEmail === input.email);
        assert.deepEqual(services, servicesBefore, 'no second service for the same user');
        const firstNow = await same.status(input.email);
        assert.equal(firstNow.phase, 'active');
        assert.equal(firstNow.clientId, first.clientId);
      });
    } finally {
      await same.close();
      await other.close();
    }
  });
});
