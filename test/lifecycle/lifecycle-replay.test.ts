/**
 * Replays the lifecycle histories recorded by scripts/record-lifecycle-histories.ts against the current workflow
 * code: a failure here means lifecycles running in production would break when this code is deployed. The
 * histories are encrypted; the recorder's test-only keys sit beside them in replay-keys.json.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { WorkflowBundle } from '@temporalio/worker';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import { createDataConverter } from '../../src/security/data-converter';
import type { Keyring } from '../../src/security/keyring';
import {
  assertDeterminismViolations,
  assertReplays,
  eventTypes,
  loadHistories,
  loadReplayKeyring,
} from '../helpers/histories';
import { installQuietRuntime } from '../helpers/quiet-runtime';

installQuietRuntime();

describe('replay of recorded lifecycle histories', () => {
  const histories = loadHistories('lifecycle');
  let keyring: Keyring;
  let bundle: WorkflowBundle;
  before(async () => {
    keyring = await loadReplayKeyring('lifecycle');
    bundle = await bundleLifecycleWorkflows();
  });

  it('has a history for every recorded scenario, each the scenario it claims', () => {
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      [
        'attest-then-revoke',
        'extend-then-revoke',
        'failure-with-compensation',
        'happy-path-to-expiry',
        'operator-path',
        'operator-revoked-before-active',
        'reonboard-adopts-user',
        'rotate-then-revoke',
      ],
    );
    const byName = Object.fromEntries(histories.map((h) => [h.workflowId, eventTypes(h.history)]));
    const last = (name: string) => byName[name]?.at(-1);
    const count = (name: string, type: string) => byName[name]?.filter((t) => t === type).length ?? 0;
    for (const name of [
      'attest-then-revoke',
      'happy-path-to-expiry',
      'extend-then-revoke',
      'operator-path',
      'operator-revoked-before-active',
      'reonboard-adopts-user',
      'rotate-then-revoke',
    ]) {
      assert.equal(last(name), 'workflowExecutionCompletedEventAttributes', name);
    }
    assert.equal(last('failure-with-compensation'), 'workflowExecutionFailedEventAttributes');
    assert.ok(count('happy-path-to-expiry', 'timerFiredEventAttributes') >= 1, 'the expiry timer fired');
    assert.equal(count('extend-then-revoke', 'workflowExecutionUpdateCompletedEventAttributes'), 2);
    assert.equal(
      count('attest-then-revoke', 'workflowExecutionUpdateCompletedEventAttributes'),
      3,
      'attest, reassign, revoke',
    );
    assert.equal(
      count('rotate-then-revoke', 'workflowExecutionUpdateCompletedEventAttributes'),
      3,
      'rotate, confirm switch, revoke',
    );
    assert.equal(
      count('operator-path', 'workflowExecutionUpdateCompletedEventAttributes'),
      4,
      'create-role, a refused create-service, the verified one, and revoke',
    );
  });

  it('replays every recorded history against the current workflow code', async () => {
    await assertReplays({ workflowBundle: bundle, dataConverter: createDataConverter(keyring) }, histories);
  });

  it('fails replay when the workflow changes incompatibly', async () => {
    await assertDeterminismViolations(
      {
        workflowsPath: require.resolve('./fixtures/lifecycle-changed'),
        dataConverter: createDataConverter(keyring),
      },
      histories,
    );
  });
});
