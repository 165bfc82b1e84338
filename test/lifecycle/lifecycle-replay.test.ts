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

/** The patch ids a history's markers record (what patched() wrote when the run first took that branch). */
function patchIds(history: temporal.api.history.v1.IHistory): string[] {
  const ids: string[] = [];
  for (const event of history.events ?? []) {
    for (const payload of event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads ?? []) {
      const data = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8')) as {
        id: string;
      };
      ids.push(data.id);
    }
  }
  return ids;
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
    // Earlier recordings stay beside later ones (-v2, ...): each proves its version still replays. Sorted by
    // file name, where `-v2.json` comes before `.json`.
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      [
        'extend-then-revoke-v2',
        'extend-then-revoke',
        'failure-with-compensation-v2',
        'failure-with-compensation',
        'happy-path-to-expiry-v2',
        'happy-path-to-expiry',
        'operator-path-v2',
        'operator-path',
        'operator-revoked-before-active-v2',
        'reonboard-adopts-user-v2',
      ],
    );
    const byName = Object.fromEntries(histories.map((h) => [h.workflowId, eventTypes(h.history)]));
    const last = (name: string) => byName[name]?.at(-1);
    const count = (name: string, type: string) => byName[name]?.filter((t) => t === type).length ?? 0;
    for (const suffix of ['', '-v2']) {
      assert.equal(last(`happy-path-to-expiry${suffix}`), 'workflowExecutionCompletedEventAttributes');
      assert.equal(last(`extend-then-revoke${suffix}`), 'workflowExecutionCompletedEventAttributes');
      assert.equal(last(`failure-with-compensation${suffix}`), 'workflowExecutionFailedEventAttributes');
      assert.equal(last(`operator-path${suffix}`), 'workflowExecutionCompletedEventAttributes');
    }
    assert.equal(last('reonboard-adopts-user-v2'), 'workflowExecutionCompletedEventAttributes');
    assert.equal(last('operator-revoked-before-active-v2'), 'workflowExecutionCompletedEventAttributes');
    assert.equal(last('happy-path-to-expiry'), 'workflowExecutionCompletedEventAttributes');
    assert.ok(count('happy-path-to-expiry', 'timerFiredEventAttributes') >= 1, 'the expiry timer fired');
    assert.equal(last('extend-then-revoke'), 'workflowExecutionCompletedEventAttributes');
    assert.equal(count('extend-then-revoke', 'workflowExecutionUpdateCompletedEventAttributes'), 2);
    assert.equal(last('failure-with-compensation'), 'workflowExecutionFailedEventAttributes');
    assert.equal(last('operator-path'), 'workflowExecutionCompletedEventAttributes');
    assert.equal(
      count('operator-path', 'workflowExecutionUpdateCompletedEventAttributes'),
      4,
      'create-role, a refused create-service, the verified one, and revoke',
    );
  });

  it('the newest recordings took the patched branches; the first ones predate those patches', () => {
    const ids = Object.fromEntries(histories.map((h) => [h.workflowId, patchIds(h.history)]));
    const later = [
      'adopt-previous-lifecycle-user',
      'undo-operator-secret',
      'notify-ended-before-active',
      'expire-already-locked-user',
    ];
    for (const name of [
      'happy-path-to-expiry',
      'extend-then-revoke',
      'failure-with-compensation',
      'operator-path',
    ]) {
      assert.deepEqual(
        ids[name]!.filter((id) => later.includes(id)),
        [],
        `${name} replays the unpatched branches`,
      );
    }
    assert.ok(ids['reonboard-adopts-user-v2']!.includes('adopt-previous-lifecycle-user'));
    assert.ok(ids['operator-path-v2']!.includes('undo-operator-secret'));
    assert.ok(ids['operator-revoked-before-active-v2']!.includes('notify-ended-before-active'));
    for (const name of Object.keys(ids).filter((n) => n.endsWith('-v2'))) {
      assert.ok(ids[name]!.includes('expiry-judged-at-start'), `${name}: ${ids[name]!.join(', ')}`);
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
