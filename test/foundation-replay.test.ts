import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { loadHistories } from './helpers/histories';
import { installQuietRuntime } from './helpers/quiet-runtime';

installQuietRuntime();

describe('replay of recorded foundation histories', () => {
  const histories = loadHistories('foundation');

  it('has histories to replay', () => {
    assert.deepEqual(
      histories.map((h) => h.workflowId),
      ['sleep-then-visit', 'visit'],
    );
  });

  it('replays every recorded history against the current workflow code', async () => {
    const results = [];
    for await (const result of Worker.runReplayHistories(
      {
        workflowsPath: require.resolve('./fixtures/foundation-workflows'),
      },
      histories,
    )) {
      results.push(result);
    }
    assert.equal(results.length, histories.length);
    for (const r of results) assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
  });

  it('fails replay when the workflow changes incompatibly', async () => {
    const errors: Record<string, string | undefined> = {};
    for await (const result of Worker.runReplayHistories(
      {
        workflowsPath: require.resolve('./fixtures/foundation-workflows-changed'),
      },
      histories,
    )) {
      errors[result.workflowId] = result.error?.name;
    }
    assert.equal(errors['visit'], undefined, 'the unchanged workflow still replays');
    assert.equal(errors['sleep-then-visit'], 'DeterminismViolationError');
  });
});
