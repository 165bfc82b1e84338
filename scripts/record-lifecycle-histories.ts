/**
 * Records the lifecycle histories that test/lifecycle/lifecycle-replay.test.ts replays against the current
 * workflow code. Run again only when a history must change on purpose (a new workflow version with patching);
 * a replay failure otherwise means that running lifecycles would break on deploy.
 *
 * Histories are encrypted by the payload codec, so the keys used here are saved beside them as
 * test/histories/lifecycle/replay-keys.json: test-only keys, safe to commit, used for nothing else.
 *
 * Before 1.0 no lifecycle runs anywhere but in our tests, so a workflow change records every history anew: this
 * script removes the old histories and their keys first. From 1.0 on, earlier recordings stay beside later ones
 * (a suffix per recording) so that replaying them proves a patched() change leaves running lifecycles intact.
 *
 * Run: npx tsx scripts/record-lifecycle-histories.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import * as prettier from 'prettier';
import { lifecycleRequestSchema } from '../src/domain/lifecycle-request';
import { startLifecycle } from '../src/lifecycle-start';
import type { lifecycleWorkflow } from '../src/workflows';
import {
  attestUpdate,
  reassignUpdate,
  completeOperatorStepUpdate,
  confirmSwitchUpdate,
  extendUpdate,
  revokeUpdate,
  rotateUpdate,
} from '../src/workflows/messages';
import { HISTORIES_DIR, saveHistory } from '../test/helpers/histories';
import { createHarness, sampleRequest, sharedBundle, type Harness } from '../test/helpers/lifecycle-harness';
import { startDevServer } from '../test/helpers/temporal-env';
import {
  ANALYTICS_USER_ROLE,
  confirmExistingRole,
  garblingSecretStore,
  instructionValue,
  sandboxCall,
  statusWhen,
  withAlteredWorkers,
} from '../test/lifecycle/support';

export const LIFECYCLE_HISTORIES = 'lifecycle';
export const REPLAY_KEYS_FILE = path.join(HISTORIES_DIR, LIFECYCLE_HISTORIES, 'replay-keys.json');
/** Appended to each history's name; from 1.0 on, a new suffix per recording keeps the earlier ones. */
export const RECORDING = '';

/** Pre-1.0: the previous recordings and their keys go, so the folder holds exactly this recording. */
function removeEarlierRecordings(): void {
  const dir = path.dirname(REPLAY_KEYS_FILE);
  if (!fs.existsSync(dir)) return;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) fs.rmSync(path.join(dir, file));
}

/** `npm run lint` checks these files with Prettier too: write them the way it wants them. */
async function prettify(file: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(
    file,
    await prettier.format(fs.readFileSync(file, 'utf8'), { ...options, filepath: file }),
  );
}

async function save(h: Harness, name: string, workflowId: string): Promise<void> {
  const history = await h.client.getHandle(workflowId).fetchHistory();
  const file = saveHistory(LIFECYCLE_HISTORIES, `${name}${RECORDING}`, history);
  await prettify(file);
  console.log(`saved ${file} (${history.events?.length ?? 0} events)`);
}

async function happyPathToExpiry(h: Harness): Promise<void> {
  const workflowId = await h.withWorkers(async () => {
    // The expiry counts from now, with the workers up: provisioning must finish well before it.
    const request = sampleRequest({
      email: 'replay-happy@example.com',
      expiresAt: new Date(Date.now() + 4_000).toISOString(),
    });
    const id = await h.start(request);
    const final = await h.client.getHandle<typeof lifecycleWorkflow>(id).result();
    assert.equal(final.phase, 'deactivated');
    assert.equal(final.deactivation?.cause, 'expired');
    return id;
  });
  await save(h, 'happy-path-to-expiry', workflowId);
}

async function extendThenRevoke(h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-extend@example.com',
    role: { name: 'Replay Extend Role', permissions: ['Read-Only Lead'], workspace: 0 },
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
  });
  const workflowId = await h.withWorkers(async () => {
    const id = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
    await statusWhen(handle, (s) => s.phase === 'active');
    await handle.executeUpdate(extendUpdate, {
      args: [{ expiresAt: new Date(Date.now() + 120_000).toISOString() }],
    });
    const revoked = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'replay recording' }] });
    assert.equal(revoked.phase, 'deactivated');
    await handle.result();
    return id;
  });
  await save(h, 'extend-then-revoke', workflowId);
}

/** A rotation: the second service staged, the switch confirmed, the old one proven dead; then a revoke. */
async function rotateThenRevoke(h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-rotate@example.com',
    role: { name: 'Replay Rotate Role', permissions: ['Read-Only Lead'], workspace: 0 },
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const workflowId = await h.withWorkers(async () => {
    const id = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
    await statusWhen(handle, (s) => s.phase === 'active');
    const rotated = await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: 600_000 }] });
    assert.equal(rotated.rotation?.stage, 'overlap');
    const done = await handle.executeUpdate(confirmSwitchUpdate, { args: [{}] });
    assert.equal(done.lastRotation?.outcome, 'completed');
    await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'replay recording' }] });
    await handle.result();
    return id;
  });
  await save(h, 'rotate-then-revoke', workflowId);
}

/** An owner with attestation every hour: the owner attests (the clock restarts), hands over to another, then a revoke. */
async function attestThenRevoke(h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-attest@example.com',
    role: { name: 'Replay Attest Role', permissions: ['Read-Only Lead'], workspace: 0 },
    owner: 'owner@example.com',
    ticket: 'OPS-1',
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    policy: { attestEveryMs: '1h', attestationWindowMs: '10m' },
  });
  const workflowId = await h.withWorkers(async () => {
    const id = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
    await statusWhen(handle, (s) => s.phase === 'active');
    const kept = await handle.executeUpdate(attestUpdate, {
      args: [{ by: 'owner@example.com', note: 'replay' }],
    });
    assert.equal(kept.attestation?.last?.decision, 'keep');
    const moved = await handle.executeUpdate(reassignUpdate, {
      args: [{ owner: 'new-owner@example.com', ticket: null, reason: 'replay' }],
    });
    assert.equal(moved.owner, 'new-owner@example.com');
    await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'replay recording' }] });
    await handle.result();
    return id;
  });
  await save(h, 'attest-then-revoke', workflowId);
}

async function failureWithCompensation(env: TestWorkflowEnvironment, h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-failure@example.com',
    role: { name: 'Replay Failure Role', permissions: ['Read-Only Lead'], workspace: 0 },
  });
  const workflowId = await withAlteredWorkers(
    env,
    h,
    (deps) => ({ ...deps, secrets: garblingSecretStore(deps.secrets) }),
    async () => {
      const id = await h.start(request);
      await h.client
        .getHandle(id)
        .result()
        .then(
          () => assert.fail('the recording expects a failed lifecycle'),
          () => undefined,
        );
      return id;
    },
  );
  await save(h, 'failure-with-compensation', workflowId);
}

async function operatorPath(h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-operator@example.com',
    role: { name: 'Replay Operator Role', permissions: ['Read-Only Lead'], workspace: 0 },
  });
  const workflowId = await h.withWorkers(async () => {
    const id = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
    const roleStep = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-role');
    const made = await sandboxCall(h.sandbox, 'POST', '/sandbox/roles', {
      name: instructionValue(roleStep.pendingOperatorAction!.instructions, 'Role Name'),
      permissions: ['Read-Only Lead'],
    });
    assert.equal(made.status, 201);
    assert.equal(
      (await handle.executeUpdate(completeOperatorStepUpdate, { args: [{ step: 'create-role' }] })).verified,
      true,
    );
    const serviceStep = await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
    const instructions = serviceStep.pendingOperatorAction!.instructions;
    const created = await sandboxCall(h.sandbox, 'POST', '/sandbox/services', {
      displayName: instructionValue(instructions, 'Display Name'),
      email: instructionValue(instructions, 'API Only User'),
    });
    const { clientId, clientSecret } = created.json as { clientId: string; clientSecret: string };
    const secretRef = `file:lifecycle/${id}/operator-service`;
    await h.secrets.put(secretRef, { clientId, clientSecret: 'not-the-secret' });
    const wrong = await handle.executeUpdate(completeOperatorStepUpdate, {
      args: [{ step: 'create-service', clientId, secretRef }],
    });
    assert.equal(wrong.verified, false);
    await h.secrets.put(secretRef, { clientId, clientSecret });
    const right = await handle.executeUpdate(completeOperatorStepUpdate, {
      args: [{ step: 'create-service', clientId, secretRef }],
    });
    assert.equal(right.verified, true);
    await statusWhen(handle, (s) => s.phase === 'active');
    await handle.executeUpdate(revokeUpdate, { args: [{}] });
    await handle.result();
    return id;
  });
  await save(h, 'operator-path', workflowId);
}

/** Onboard, revoke, onboard again: the second run adopts the user the first one left locked. */
async function reonboardAdoptsUser(h: Harness): Promise<void> {
  const input = sampleRequest({
    email: 'replay-reonboard@example.com',
    role: { name: 'Replay Reonboard Role', permissions: ['Read-Only Lead'], workspace: 0 },
  });
  const request = lifecycleRequestSchema.parse(input);
  const workflowId = h.workflowIdFor(request.email);
  const onboard = () =>
    startLifecycle(h.client, {
      workflowId,
      taskQueue: h.taskQueue,
      request,
      workflowIdKeyFingerprint: h.workflowIdKeyFingerprint,
    });
  await h.withWorkers(async () => {
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await onboard();
    await statusWhen(handle, (s) => s.phase === 'active');
    await handle.executeUpdate(revokeUpdate, { args: [{}] });
    await handle.result();
    await onboard();
    const again = await statusWhen(handle, (s) => s.phase === 'active' || s.phase === 'failed');
    assert.ok(again.timeline.some((e) => e.event === 'user adopted'));
    await handle.executeUpdate(revokeUpdate, { args: [{}] });
    await handle.result();
  });
  await save(h, 'reonboard-adopts-user', workflowId);
}

/** Revoked while the operator's service step is pending: ends before activation, and says so. */
async function operatorRevokedBeforeActive(h: Harness): Promise<void> {
  const request = sampleRequest({
    email: 'replay-operator-revoked@example.com',
    role: ANALYTICS_USER_ROLE,
  });
  const workflowId = await h.withWorkers(async () => {
    const id = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
    await confirmExistingRole(handle);
    await statusWhen(handle, (s) => s.pendingOperatorAction?.step === 'create-service');
    const ended = await handle.executeUpdate(revokeUpdate, { args: [{}] });
    assert.equal(ended.phase, 'deactivated');
    await handle.result();
    return id;
  });
  await save(h, 'operator-revoked-before-active', workflowId);
}

/** One key file holding the keys of every harness used, so that every recorded history decodes. */
async function saveReplayKeys(harnesses: Harness[]): Promise<void> {
  const files = harnesses.map(
    (h) =>
      JSON.parse(fs.readFileSync(path.join(h.dataDir, 'keys.json'), 'utf8')) as {
        current: string;
        keys: Record<string, string>;
        workflowIdKey?: string;
      },
  );
  const merged = {
    version: 1,
    current: files[0]!.current,
    keys: Object.assign({}, ...files.map((f) => f.keys)) as Record<string, string>,
    ...(files[0]!.workflowIdKey ? { workflowIdKey: files[0]!.workflowIdKey } : {}),
  };
  fs.mkdirSync(path.dirname(REPLAY_KEYS_FILE), { recursive: true });
  fs.writeFileSync(REPLAY_KEYS_FILE, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(REPLAY_KEYS_FILE, 0o600);
  await prettify(REPLAY_KEYS_FILE);
  console.log(`saved ${REPLAY_KEYS_FILE} (test-only keys: ${Object.keys(merged.keys).join(', ')})`);
}

async function main(): Promise<void> {
  const env = await startDevServer();
  const harnesses: Harness[] = [];
  try {
    await sharedBundle();
    removeEarlierRecordings();
    const h = await createHarness(env);
    harnesses.push(h);
    const operatorH = await createHarness(env, { sandbox: { mode: 'real-like' } });
    harnesses.push(operatorH);
    await happyPathToExpiry(h);
    await extendThenRevoke(h);
    await rotateThenRevoke(h);
    await attestThenRevoke(h);
    await failureWithCompensation(env, h);
    await operatorPath(operatorH);
    await reonboardAdoptsUser(h);
    await operatorRevokedBeforeActive(operatorH);
    await saveReplayKeys(harnesses);
  } finally {
    for (const h of harnesses) await h.close();
    await env.teardown();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
