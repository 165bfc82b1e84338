/**
 * Owner attestation in workflow time, against the sandbox on the time-skipping server: two lifecycles asked
 * to attest every 30 days with a 14-day window; the one whose owner never answers is locked in Marketo at the
 * deadline, the one whose owner attests stays active, and the audit log holds both stories.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment, TimeSkippingWorkflowClient } from '@temporalio/testing';
import type { lifecycleWorkflow } from '../../src/workflows';
import { attestUpdate, revokeUpdate, statusQuery } from '../../src/workflows/messages';
import {
  eventually,
  sampleRequest,
  withTimeSkippingHarness,
  type Harness,
  timeSkippingClient,
} from '../helpers/lifecycle-harness';
import { statusWhen } from './support';

const DAY = 86_400_000;
const OWNER = 'data-team@example.com';
const POLICY = { attestEveryMs: 30 * DAY, attestationWindowMs: 14 * DAY };

describe('owner attestation on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let skipping: TimeSkippingWorkflowClient;
  withTimeSkippingHarness(
    (server, harness) => {
      env = server;
      h = harness;
      skipping = timeSkippingClient(env, h);
    },
    { sandbox: { rateLimit: { calls: 1000, windowMs: 20_000 } } },
  );

  const sandboxUser = (email: string) => h.sandbox.snapshot().users.find((u) => u.emailAddress === email);

  async function startAttested(name: string) {
    const now = await env.currentTimeMs();
    const request = sampleRequest({
      email: `attest-${name}-${Date.now()}@example.com`,
      role: { name: `Attest ${name}`, permissions: ['Read-Only Lead'], workspace: 0 },
      owner: OWNER,
      ticket: 'OPS-1234',
      expiresAt: new Date(Math.floor((now + 120 * DAY) / 1000) * 1000).toISOString(),
      policy: POLICY,
    });
    const workflowId = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await statusWhen(handle, (s) => s.phase === 'active');
    return { handle, email: request.email, workflowId };
  }

  it('locks the lifecycle whose owner never attests at the deadline; the one that attests stays active', async () => {
    await h.withWorkers(async () => {
      const silent = await startAttested('silent');
      const kept = await startAttested('kept');
      await env.sleep(31 * DAY);
      const asked = await statusWhen(kept.handle, (s) => s.attestation?.pending !== undefined);
      const answered = await kept.handle.executeUpdate(attestUpdate, {
        args: [{ by: OWNER, note: 'the nightly sync still needs it' }],
      });
      assert.equal(answered.attestation?.last?.decision, 'keep');

      const final = await skipping.getHandle<typeof lifecycleWorkflow>(silent.workflowId).result();
      assert.equal(final.phase, 'deactivated');
      assert.equal(final.deactivation?.cause, 'attestation-missed');
      const deadline = final.attestation!.pending!.deadline;
      assert.ok(Date.parse(final.deactivation.at) >= Date.parse(deadline), 'not before the deadline');
      assert.ok(
        Date.parse(deadline) < Date.parse(asked.attestation!.pending!.deadline) + DAY,
        'the first ask',
      );
      assert.equal(sandboxUser(silent.email)?.isLocked, true, 'locked in Marketo');

      const still = await kept.handle.query(statusQuery);
      assert.equal(still.phase, 'active');
      assert.equal(still.owner, OWNER);
      assert.equal(still.ticket, 'OPS-1234');
      assert.equal(sandboxUser(kept.email)?.isLocked, false, 'the attested user keeps its access');

      // Notifications go beside the workflow's progress: waited for while the workers still run.
      const overdue = await eventually(() => h.notifier.of('attestation-overdue', silent.workflowId)[0]);
      assert.equal(overdue.details?.['owner'], OWNER);
      assert.equal(h.notifier.of('attestation-overdue', kept.workflowId).length, 0);
      const ask = h.notifier.of('attestation-requested', kept.workflowId)[0];
      assert.equal(ask?.details?.['role'], 'Attest kept');
      assert.equal(ask?.details?.['permissions'], 'Read-Only Lead');

      const audit = await eventually(async () => {
        const rows = await h.deps.audit.query({ kinds: ['attested', 'attestation-missed'] });
        return rows.length >= 2 ? rows : undefined;
      });
      const attested = audit.find((row) => row.kind === 'attested');
      assert.equal(attested?.email, kept.email);
      assert.equal(attested?.actor, OWNER);
      assert.equal(attested?.reason, 'the nightly sync still needs it');
      assert.equal(attested?.detail['decision'], 'keep');
      const missed = audit.find((row) => row.kind === 'attestation-missed');
      assert.equal(missed?.email, silent.email);
      assert.equal(missed?.detail['deadline'], deadline);
      await kept.handle.executeUpdate(revokeUpdate, { args: [{ reason: 'test over' }] });
    });
  });
});
