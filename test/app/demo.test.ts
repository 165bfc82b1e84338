/**
 * `demo` as a newcomer runs it: one subprocess, its own stack on free ports in a temp folder, exit 0 with every
 * step narrated and the sample user locked in the sandbox. The shell here points at a Temporal cluster and a
 * Marketo instance that do not answer: the demo must use neither.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cliEnv, describeRun, killAll, processesMentioning, runCli } from '../cli/support';

describe('demo', () => {
  after(() => killAll());

  it('runs the main job end to end on its own stack and exits 0', async () => {
    const startedAt = Date.now();
    const run = await runCli(['demo'], {
      env: cliEnv({
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        TEMPORAL_NAMESPACE: 'not-the-demo',
        MARKETO_BASE_URL: 'http://127.0.0.1:1',
        MARKETO_CLIENT_ID: 'someone-elses',
        MARKETO_CLIENT_SECRET: 'someone-elses-secret',
      }),
      timeoutMs: 240_000, // a hang guard, not a speed requirement
    });
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    process.stdout.write(`# demo wall time: ${seconds} s\n`);
    assert.equal(run.code, 0, describeRun(run));
    const steps = run.stdout.split('\n').filter((line) => line.startsWith('▶ '));
    const expected = [
      /^▶ Starting the embedded stack/,
      /^▶ Onboarding demo-\S+@example\.com/,
      /^▶ Its status/,
      /^▶ Extending access by 10 s/,
      /^▶ Waiting for the expiry/,
      /^▶ The user in the sandbox/,
      /^▶ Done in \d+ s\. Shutting down\./,
    ];
    assert.equal(steps.length, expected.length, run.stdout);
    expected.forEach((pattern, i) => assert.match(steps[i]!, pattern));
    assert.match(run.stdout, /^ {2}active: role \d+, user demo-\S+, client id \S+$/m);
    assert.match(run.stdout, /^ {2}now expires at \S+Z$/m);
    assert.match(run.stdout, /^ {2}expired at \S+: (already )?locked$/m);
    assert.match(run.stdout, /^ {2}isLocked: true, lockedReason: .+, lockedAt: \S+$/m);
    assert.doesNotMatch(run.stdout + run.stderr, /someone-elses-secret/);
    // Its Temporal dev server went with it.
    assert.deepEqual(await processesMentioning('marketo-api-users-demo-'), []);
  });
});
