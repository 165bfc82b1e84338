import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readKeyFile, type Keyring } from '../../src/security/keyring';

/** Recorded histories live in test/histories/<bundle>/<name>.json, replayed on every run. */
export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

/** The recorder's test-only keys sit beside its histories, in <bundle>/replay-keys.json. */
const REPLAY_KEYS_FILE = 'replay-keys.json';

export interface Recorded {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

export function saveHistory(bundle: string, name: string, history: temporal.api.history.v1.IHistory): string {
  const file = path.join(HISTORIES_DIR, bundle, `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, historyToJSON(history) + '\n');
  return file;
}

export function loadHistories(bundle: string): Recorded[] {
  const dir = path.join(HISTORIES_DIR, bundle);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('-keys.json'))
    .sort()
    .map((f) => ({
      workflowId: path.basename(f, '.json'),
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
}

/** The keyring that decrypts a bundle's recorded histories. */
export async function loadReplayKeyring(bundle: string): Promise<Keyring> {
  // Git does not keep file modes and the keyring refuses a key file others may read: read a private copy.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `mau-${bundle}-replay-`));
  try {
    const keyFile = path.join(tmp, REPLAY_KEYS_FILE);
    fs.copyFileSync(path.join(HISTORIES_DIR, bundle, REPLAY_KEYS_FILE), keyFile);
    fs.chmodSync(keyFile, 0o600);
    return await readKeyFile(keyFile, {});
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Each event's kind (`timerFiredEventAttributes`, ...), in order: what a test checks a scenario by. */
export function eventTypes(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).map(
    (e) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k as keyof typeof e] != null) ?? '?',
  );
}

type ReplayOptions = Parameters<typeof Worker.runReplayHistories>[0];

/** Replays every history and answers, per workflow id, its error (undefined when it replayed cleanly). */
async function replayErrors(
  options: ReplayOptions,
  histories: Recorded[],
): Promise<Record<string, Error | undefined>> {
  const errors: Record<string, Error | undefined> = {};
  for await (const result of Worker.runReplayHistories(options, histories))
    errors[result.workflowId] = result.error;
  return errors;
}

/** Every history replays against the workflows `options` name, without an error. */
export async function assertReplays(options: ReplayOptions, histories: Recorded[]): Promise<void> {
  const errors = await replayErrors(options, histories);
  assert.deepEqual(Object.keys(errors).sort(), histories.map((h) => h.workflowId).sort());
  for (const [id, error] of Object.entries(errors)) assert.equal(error, undefined, `${id}: ${String(error)}`);
}

/** Every history fails replay against the (changed) workflows `options` name, as nondeterministic. */
export async function assertDeterminismViolations(
  options: ReplayOptions,
  histories: Recorded[],
): Promise<void> {
  const errors = await replayErrors(options, histories);
  for (const h of histories) {
    assert.equal(
      errors[h.workflowId]?.name,
      'DeterminismViolationError',
      `${h.workflowId}: ${String(errors[h.workflowId])}`,
    );
  }
}
