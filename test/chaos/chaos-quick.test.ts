/**
 * The chaos harness in its quick mode (about 3-4 minutes): ~40 lifecycles under injected Marketo faults,
 * worker processes SIGKILLed and restarted, the Temporal dev server SIGKILLed and restarted once. It must exit 0
 * and report `ok: true` with every invariant checked and none broken.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

const ROOT = path.join(__dirname, '..', '..');
const TIMEOUT_MS = 5 * 60_000;

interface ChaosResult {
  ok: boolean;
  invariantsChecked: number;
  invariantsFailed: number;
  failures: string[];
  workerKills: number;
  serverRestarts: number;
  lifecycles: { started: number };
}

describe('chaos harness, quick mode', () => {
  it(
    'keeps every invariant through faults, worker kills and a server restart',
    { timeout: TIMEOUT_MS },
    async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'chaos', 'run.ts'), '--quick'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS - 10_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      const line = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      assert.ok(line, `no JSON result; stderr:\n${stderr.slice(-4000)}`);
      const result = JSON.parse(line) as ChaosResult;
      assert.deepEqual(result.failures, [], 'no invariant failure');
      assert.equal(result.ok, true);
      assert.equal(code, 0, `exit code; stderr:\n${stderr.slice(-4000)}`);
      assert.equal(result.invariantsFailed, 0);
      assert.ok(result.invariantsChecked > result.lifecycles.started * 5, 'invariants were checked');
      assert.ok(result.workerKills >= 3, 'workers were killed');
      assert.equal(result.serverRestarts, 1, 'the server was restarted');
    },
  );
});
