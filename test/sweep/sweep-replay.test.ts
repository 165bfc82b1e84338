/**
 * Replays the sweep histories recorded by scripts/record-sweep-histories.ts against the current workflow code:
 * a failure here means sweeps running during a deploy (or continuing as new into the new code) would break.
 * The histories are encrypted; the recorder's test-only keys sit beside them in replay-keys.json.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createDataConverter } from '../../src/security/data-converter';
import { readKeyFile, type Keyring } from '../../src/security/keyring';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import { HISTORIES_DIR, loadHistories } from '../helpers/histories';
import { installQuietRuntime } from '../helpers/quiet-runtime';

installQuietRuntime();

const DIR = path.join(HISTORIES_DIR, 'sweep');
const KEYS_FILE = 'replay-keys.json';

interface Recorded {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

function eventTypes(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).map(
    (e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof typeof e] != null) ?? '?',
  );
}

async function replayErrors(
  options: Parameters<typeof Worker.runReplayHistories>[0],
  histories: Recorded[],
): Promise<Record<string, Error | undefined>> {
  const errors: Record<string, Error | undefined> = {};
  for await (const result of Worker.runReplayHistories(options, histories))
    errors[result.workflowId] = result.error;
  return errors;
}

describe('replay of recorded sweep histories', () => {
  const histories = loadHistories('sweep');
  let tmp: string;
  let keyring: Keyring;
  let bundle: WorkflowBundle;
  before(async () => {
    // Git does not keep file modes and the keyring refuses a key file others may read: use a private copy.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-sweep-replay-'));
    const keyFile = path.join(tmp, KEYS_FILE);
    fs.copyFileSync(path.join(DIR, KEYS_FILE), keyFile);
    fs.chmodSync(keyFile, 0o600);
    keyring = await readKeyFile(keyFile, {});
    // What production runs: the workflows with the encoding failure converter.
    bundle = await bundleLifecycleWorkflows();
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
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
    const errors = await replayErrors(
      { workflowBundle: bundle, dataConverter: createDataConverter(keyring) },
      histories,
    );
    assert.deepEqual(Object.keys(errors).sort(), histories.map((h) => h.workflowId).sort());
    for (const [id, error] of Object.entries(errors))
      assert.equal(error, undefined, `${id}: ${String(error)}`);
  });

  it('fails replay when the sweep workflow changes incompatibly', async () => {
    const errors = await replayErrors(
      {
        workflowsPath: require.resolve('./fixtures/sweep-changed'),
        dataConverter: createDataConverter(keyring),
      },
      histories,
    );
    for (const h of histories) {
      assert.equal(
        errors[h.workflowId]?.name,
        'DeterminismViolationError',
        `${h.workflowId}: ${String(errors[h.workflowId])}`,
      );
    }
  });
});
