/**
 * Replays the sweep histories recorded by scripts/record-sweep-histories.ts against the current workflow code:
 * a failure here means sweeps running during a deploy (or continuing as new into the new code) would break.
 * The histories are encrypted; the recorder's test-only keys sit beside them in replay-keys.json.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import type { WorkflowBundle } from '@temporalio/worker';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import { createDataConverter } from '../../src/security/data-converter';
import type { Keyring } from '../../src/security/keyring';
import {
  assertDeterminismViolations,
  assertReplays,
  eventTypes,
  HISTORIES_DIR,
  loadHistories,
  loadReplayKeyring,
} from '../helpers/histories';
import { installQuietRuntime } from '../helpers/quiet-runtime';

installQuietRuntime();

const DIR = path.join(HISTORIES_DIR, 'sweep');

describe('replay of recorded sweep histories', () => {
  const histories = loadHistories('sweep');
  let keyring: Keyring;
  let bundle: WorkflowBundle;
  before(async () => {
    keyring = await loadReplayKeyring('sweep');
    // What production runs: the workflows with the encoding failure converter.
    bundle = await bundleLifecycleWorkflows();
  });

  it('has a history for every recorded scenario, each the scenario it claims', () => {
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      ['sweep-can-run-1', 'sweep-can-run-2', 'sweep-dry-run'],
    );
    const byName = Object.fromEntries(histories.map((h) => [h.workflowId, eventTypes(h.history)]));
    const count = (name: string, type: string) => byName[name]?.filter((t) => t === type).length ?? 0;
    assert.equal(byName['sweep-dry-run']?.at(-1), 'workflowExecutionCompletedEventAttributes');
    assert.equal(byName['sweep-can-run-1']?.at(-1), 'workflowExecutionContinuedAsNewEventAttributes');
    assert.equal(byName['sweep-can-run-2']?.at(-1), 'workflowExecutionCompletedEventAttributes');
    // The dry run reads and never writes; the real run writes (3 set, 1 lock, 1 drift) across its two runs.
    const activities = (name: string) => count(name, 'activityTaskScheduledEventAttributes');
    assert.ok(activities('sweep-dry-run') >= 8, 'context, page, first-seen, reads, notify');
    assert.ok(
      activities('sweep-can-run-1') + activities('sweep-can-run-2') >= activities('sweep-dry-run') + 5,
      'the real run does at least five writes more',
    );
  });

  it('keeps users and their dates out of the recorded histories (payloads are encrypted)', () => {
    for (const name of ['sweep-dry-run', 'sweep-can-run-1', 'sweep-can-run-2']) {
      const text = fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8');
      assert.doesNotMatch(text, /sandbox\.local|example\.com|orchestrator/, name);
      assert.match(text, /YmluYXJ5L2VuY3J5cHRlZA==/, `${name}: binary/encrypted payloads`);
    }
  });

  it('replays every recorded history against the current workflow code', async () => {
    await assertReplays({ workflowBundle: bundle, dataConverter: createDataConverter(keyring) }, histories);
  });

  it('fails replay when the sweep workflow changes incompatibly', async () => {
    await assertDeterminismViolations(
      {
        workflowsPath: require.resolve('./fixtures/sweep-changed'),
        dataConverter: createDataConverter(keyring),
      },
      histories,
    );
  });
});
