/**
 * Replays the lifecycle histories recorded by scripts/record-lifecycle-histories.ts against the current workflow
 * code: a failure here means lifecycles running in production would break when this code is deployed. The
 * histories are encrypted; the recorder's test-only keys sit beside them in replay-keys.json.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createDataConverter } from '../../src/security/data-converter';
import { HISTORIES_DIR, loadHistories } from '../helpers/histories';
import { readKeyFile, type Keyring } from '../../src/security/keyring';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import { installQuietRuntime } from '../helpers/quiet-runtime';

installQuietRuntime();

const DIR = path.join(HISTORIES_DIR, 'lifecycle');
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

describe('replay of recorded lifecycle histories', () => {
  const histories = loadHistories('lifecycle');
  let tmp: string;
  let keyring: Keyring;
  let bundle: WorkflowBundle;
  before(async () => {
    // Git does not keep file modes and the keyring refuses a key file others may read: use a private copy.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-replay-'));
    const keyFile = path.join(tmp, KEYS_FILE);
    fs.copyFileSync(path.join(DIR, KEYS_FILE), keyFile);
    fs.chmodSync(keyFile, 0o600);
    keyring = await readKeyFile(keyFile, {});
    bundle = await bundleLifecycleWorkflows();
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has a history for every recorded scenario, each the scenario it claims', () => {
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      [
        'extend-then-revoke',
        'failure-with-compensation',
        'happy-path-to-expiry',
        'operator-path',
        'operator-revoked-before-active',
        'reonboard-adopts-user',
      ],
    );
    const byName = Object.fromEntries(histories.map((h) => [h.workflowId, eventTypes(h.history)]));
    const last = (name: string) => byName[name]?.at(-1);
    const count = (name: string, type: string) => byName[name]?.filter((t) => t === type).length ?? 0;
    for (const name of [
      'happy-path-to-expiry',
      'extend-then-revoke',
      'operator-path',
      'operator-revoked-before-active',
      'reonboard-adopts-user',
    ]) {
      assert.equal(last(name), 'workflowExecutionCompletedEventAttributes', name);
    }
    assert.equal(last('failure-with-compensation'), 'workflowExecutionFailedEventAttributes');
    assert.ok(count('happy-path-to-expiry', 'timerFiredEventAttributes') >= 1, 'the expiry timer fired');
    assert.equal(count('extend-then-revoke', 'workflowExecutionUpdateCompletedEventAttributes'), 2);
    assert.equal(
      count('operator-path', 'workflowExecutionUpdateCompletedEventAttributes'),
      4,
      'create-role, a refused create-service, the verified one, and revoke',
    );
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

  it('fails replay when the workflow changes incompatibly', async () => {
    const errors = await replayErrors(
      {
        workflowsPath: require.resolve('./fixtures/lifecycle-changed'),
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
