/**
 * Attack: an exempt pattern that makes a backtracking matcher take seconds per user (`*a*a*a*a*a*a*a*a*b`
 * against an email of 41 `a`s). It ran inside the sweep's workflow task, so the task timed out and the worker
 * died, again on every restart. Here, against a dev server and the sandbox, through the client API as a
 * pipeline calls it: the sweep finishes promptly with the right report, and an exempt list beyond the bounds
 * is refused before anything is started, by the client API and by the CLI.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InputError, LifecycleClient } from '../../src/client';
import { withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { callUserManagement, inviteBody, requestToken } from '../helpers/sandbox';
import { cliEnv, describeRun, removeDir, runCli, tempDir } from '../cli/support';

const PATHOLOGICAL = '*a*a*a*a*a*a*a*a*b';
// Every `a` is one more place for a backtracking engine to try each `*`: about 10 s per match here.
const VICTIM = `${'a'.repeat(41)}@a.aa`;
const EXEMPTED = `${'a'.repeat(41)}@aa.aa`;
/** A sweep of three users takes a second or two; the backtracking matcher took 21 s for one user. */
const PROMPTLY_MS = 20_000;

/** The promise's value, or 'late' when it has none within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

describe('ReDoS through a sweep exempt pattern', { timeout: 180_000 }, () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let lifecycles: LifecycleClient;

  const sweepsOnQueue = async () =>
    (await h.client.count(`WorkflowType = 'sweepWorkflow' AND TaskQueue = '${h.taskQueue}'`)).count;
  /** Ends what a failing run left behind, so the workers can stop and the next test starts clean. */
  const terminateSweeps = async () => {
    const query = `ExecutionStatus = 'Running' AND TaskQueue = '${h.taskQueue}'`;
    for await (const run of h.client.list({ query })) {
      await h.client
        .getHandle(run.workflowId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
  };

  withDevServerHarness(async (devServer, harness, { onClose }) => {
    env = devServer;
    h = harness;
    const { access_token: token } = await requestToken(h.sandbox);
    for (const email of [VICTIM, EXEMPTED]) {
      const reply = await callUserManagement(h.sandbox, token, 'POST', 'invite.json', inviteBody(email));
      assert.equal(reply.status, 200, reply.text);
    }
    lifecycles = await LifecycleClient.connect({
      connection: env.connection,
      dataDir: h.dataDir,
      env: { MARKETO_BASE_URL: h.sandbox.baseUrl, MARKETO_API_USERS_TASK_QUEUE: h.taskQueue },
    });
    onClose(() => lifecycles.close());
  });

  it('the client API refuses too many or too long patterns before starting a sweep', async () => {
    const tooMany = Array.from({ length: 101 }, (_, i) => `svc-${i}@example.com`);
    const tooLong = `${'*a'.repeat(124)}@x.com+`;
    for (const [exempt, problem] of [
      [tooMany, /policy\.exempt: at most 100 patterns/],
      [[tooLong], /policy\.exempt\.0: at most 254 characters/],
    ] as const) {
      // No worker runs: a policy that is not refused starts a sweep that waits, hence the deadline.
      const outcome = await within(
        lifecycles.sweep({ dryRun: true, policy: { exempt: [...exempt] } }).then(
          () => 'accepted',
          (error: unknown) => error,
        ),
        5_000,
      );
      assert.ok(outcome instanceof InputError, `${problem}: ${String(outcome)}`);
      assert.match(outcome.message, problem);
    }
    const started = await sweepsOnQueue();
    await terminateSweeps();
    assert.equal(started, 0, 'a refused policy started a sweep');
  });

  it('the CLI refuses them with exit 2, before looking for a Temporal server', async () => {
    const dataDir = tempDir('redos');
    try {
      const many = Array.from({ length: 101 }, (_, i) => `svc-${i}@example.com`).join(',');
      const run = await runCli(['sweep', '--dry-run', '--exempt', many, '--data-dir', dataDir], {
        env: cliEnv(),
      });
      assert.equal(run.code, 2, describeRun(run));
      assert.match(run.stderr, /at most 100 patterns/);
    } finally {
      removeDir(dataDir);
    }
  });

  it('a dry-run sweep with the pathological pattern finishes promptly and reports correctly', async () => {
    const report = await h.withWorkers(async () => {
      const sweep = lifecycles.sweep({
        dryRun: true,
        policy: { requireExpiry: 'report', exempt: [PATHOLOGICAL, '*@AA.aa'] },
      });
      const first = await within(sweep, PROMPTLY_MS);
      if (first === 'late') {
        // Stop the stuck sweep so the workers can shut down; the assertion below reports it.
        sweep.catch(() => undefined);
        await terminateSweeps();
      }
      return first;
    });
    if (report === 'late') assert.fail(`the sweep did not finish within ${PROMPTLY_MS / 1000} s`);
    const { counts, lines } = report;
    assert.equal(counts.scanned, 3, 'the orchestrator and the two users');
    assert.equal(counts.exempt, 2, 'the orchestrator, and the @aa.aa user by the second pattern');
    assert.equal(counts.reported, 1);
    assert.equal(counts.errors, 0);
    assert.deepEqual(
      lines.map((l) => [l.email, l.action, l.applied]),
      [[VICTIM, 'report', false]],
    );
  });
});
