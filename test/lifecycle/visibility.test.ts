/**
 * What visibility holds for a lifecycle, read raw from DescribeWorkflowExecution: the search attributes follow
 * the phase and the expiry and never hold the email or the secret (visibility stores them in clear); the email
 * is only in the memo, whose payload the codec encrypted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { lifecycleRequestSchema, type LifecycleRequestInput } from '../../src/domain/lifecycle-request';
import { EMAIL_MEMO_FIELD, MauExpiresAt, MauPhase } from '../../src/domain/search-attributes';
import { startLifecycle } from '../../src/lifecycle-start';
import { ENCRYPTED_ENCODING } from '../../src/security/payload-codec';
import type { lifecycleWorkflow } from '../../src/workflows';
import { extendUpdate } from '../../src/workflows/messages';
import { eventually, sampleRequest, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { statusWhen } from './support';

const DAY = 86_400_000;

type Handle = WorkflowHandle<typeof lifecycleWorkflow>;

describe('lifecycle visibility: search attributes and memo (dev server, sandbox)', () => {
  let h: Harness;
  withDevServerHarness((_env, harness) => {
    h = harness;
  });

  async function onboard(input: LifecycleRequestInput): Promise<Handle> {
    const request = lifecycleRequestSchema.parse(input);
    const workflowId = h.workflowIdFor(request.email);
    await startLifecycle(h.client, {
      workflowId,
      taskQueue: h.taskQueue,
      request,
      workflowIdKeyFingerprint: h.workflowIdKeyFingerprint,
      instanceId: 'visibility-test-instance',
    });
    return h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
  }

  async function rawVisibility(handle: Handle) {
    const info = (await handle.describe()).raw.workflowExecutionInfo;
    const attributes = info?.searchAttributes?.indexedFields ?? {};
    const memo = info?.memo?.fields ?? {};
    return { attributes, memo };
  }

  const bytes = (payload: Payload | null | undefined) => Buffer.from(payload?.data ?? new Uint8Array());
  const text = (payload: Payload | null | undefined) => bytes(payload).toString('utf8');

  it('holds phase and expiry, follows an extension, and never the email or the secret', async () => {
    const email = `visible-${Date.now()}@example.com`;
    await h.withWorkers(async () => {
      const handle = await onboard(
        sampleRequest({ email, expiresAt: new Date(Date.now() + 20 * DAY).toISOString() }),
      );
      const active = await statusWhen(handle, (s) => s.phase === 'active' || s.phase === 'failed');
      assert.equal(active.phase, 'active', JSON.stringify(active.failure));
      const secret = await h.secrets.get(active.secretRef!);
      assert.ok(secret?.clientSecret, 'the lifecycle stored its secret');

      const activeAttrs = await eventually(async () => {
        const { attributes } = await rawVisibility(handle);
        return text(attributes[MauPhase.name]).includes('active') ? attributes : undefined;
      });
      assert.equal(
        Date.parse(JSON.parse(text(activeAttrs[MauExpiresAt.name])) as string),
        Date.parse(active.expiresAt),
      );

      const later = new Date(Date.parse(active.expiresAt) + 5 * DAY).toISOString();
      const extended = await handle.executeUpdate(extendUpdate, { args: [{ expiresAt: later }] });
      const { attributes, memo } = await rawVisibility(handle);
      assert.equal(
        Date.parse(JSON.parse(text(attributes[MauExpiresAt.name])) as string),
        Date.parse(extended.expiresAt),
        'the extension moved the expiry visibility filters on',
      );

      const names = Object.keys(attributes);
      for (const wanted of ['MauPhase', 'MauExpiresAt', 'MauInstance', 'MauRole', 'MauManagedBy']) {
        assert.ok(names.includes(wanted), `${wanted} is set (has ${names.join(', ')})`);
      }
      const local = email.split('@')[0]!;
      for (const [name, payload] of Object.entries(attributes)) {
        const raw = bytes(payload).toString('latin1');
        assert.ok(!raw.includes(local), `${name} holds no part of the email`);
        assert.ok(!raw.includes(secret.clientSecret), `${name} holds no secret`);
        assert.ok(!raw.includes(active.clientId!), `${name} holds no client id`);
      }

      const emailMemo = memo[EMAIL_MEMO_FIELD];
      assert.ok(emailMemo, 'the email is in the memo');
      assert.equal(
        Buffer.from(emailMemo.metadata?.[METADATA_ENCODING_KEY] ?? []).toString(),
        ENCRYPTED_ENCODING,
      );
      assert.ok(!bytes(emailMemo).toString('latin1').includes(local), 'the memo is not the email in clear');
    });
  });
});
