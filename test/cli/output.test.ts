/** Progress without a terminal goes to a log: a countdown must not write one line a tick there. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOutput, PLAIN_PROGRESS_EVERY_MS } from '../../src/cli/output';

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  let clock = 0;
  const output = (json: boolean) =>
    createOutput(json, {
      stdout: { write: (text: string | Uint8Array) => out.push(String(text)) > 0 },
      stderr: { isTTY: false, write: (text: string | Uint8Array) => err.push(String(text)) > 0 },
      now: () => clock,
    });
  return { out, err, output, tick: (ms: number) => (clock += ms) };
}

describe('command progress without a terminal (a log, a CI job)', () => {
  it('writes a countdown once per interval, and any other change of message at once', () => {
    const c = captured();
    const output = c.output(false);
    const ticks = (2 * PLAIN_PROGRESS_EVERY_MS) / 500;
    for (let left = 60; left > 60 - ticks; left--) {
      output.progress(`active, ${left} s left`);
      c.tick(500);
    }
    output.progress('deactivating');
    output.progress('deactivating');
    output.progress('locked');
    assert.deepEqual(c.err, [
      '… active, 60 s left\n',
      '… active, 50 s left\n',
      '… deactivating\n',
      '… locked\n',
    ]);
  });

  it('with --json writes no progress at all, and the result on stdout', () => {
    const c = captured();
    const output = c.output(true);
    output.progress('active, 60 s left');
    output.result({ ok: true });
    assert.deepEqual(c.err, []);
    assert.deepEqual(c.out, ['{"ok":true}\n']);
  });
});
