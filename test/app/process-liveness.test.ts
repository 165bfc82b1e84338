import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { isProcessRunning } from '../../src/app/process-liveness';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('isProcessRunning', () => {
  it('a zombie (exited, never reaped) is not running, although kill(pid, 0) still reaches it', async () => {
    // The shell starts a child that outlives its `exec`, so the child's parent becomes `sleep 30`, which never
    // waits for it: when it exits it stays a zombie. (A child that exited before the `exec` could be reaped by
    // the shell itself.)
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) =>
          parent.stdout.once('data', (chunk) => resolve(String(chunk).trim())),
        ),
      );
      for (let waited = 0; !fs.readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z '); waited += 20) {
        assert.ok(waited < 15_000, 'the background child became a zombie');
        await sleep(20);
      }
      assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(pid, 0) alone would call it alive');
      assert.equal(isProcessRunning(zombie), false);
      assert.equal(isProcessRunning(parent.pid!), true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('a pid no process holds is not running; PID 1 is', () => {
    assert.equal(isProcessRunning(2 ** 22 + 1), false);
    assert.equal(isProcessRunning(1), true);
  });
});
