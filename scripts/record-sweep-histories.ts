/**
 * Records the sweep histories that test/sweep/sweep-replay.test.ts replays against the current workflow code.
 * Run again only when a history must change on purpose (a new workflow version with patching); a replay failure
 * otherwise means that sweeps running (or continuing as new) during a deploy would break.
 *
 * - `sweep-dry-run`: one run, dry, over users of every kind (no expiry, expired but unlocked, managed with drift).
 * - `sweep-can-run-1`, `sweep-can-run-2`: a real sweep of the same users, five per page and one page per run,
 *   so that it continues as new; the first run ends in ContinuedAsNew, the second starts from carried state.
 *
 * Histories are encrypted by the payload codec; the keys used here are saved beside them as
 * test/histories/sweep/replay-keys.json: test-only keys, safe to commit, used for nothing else.
 *
 * Run: npx tsx scripts/record-sweep-histories.ts
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import type { SweepReport } from '../src/domain/sweep-policy';
import { sweepWorkflow, type lifecycleWorkflow } from '../src/workflows';
import { statusQuery } from '../src/workflows/messages';
import { HISTORIES_DIR, saveHistory } from '../test/helpers/histories';
import { createHarness, sampleRequest, sharedBundle, type Harness } from '../test/helpers/lifecycle-harness';
import { startDevServer } from '../test/helpers/temporal-env';
import { statusWhen } from '../test/lifecycle/support';

export const SWEEP_HISTORIES = 'sweep';
export const REPLAY_KEYS_FILE = path.join(HISTORIES_DIR, SWEEP_HISTORIES, 'replay-keys.json');
const DAY = 86_400_000;

/** `npm run lint` checks these files with Prettier too: write them the way it wants them. */
async function prettify(file: string): Promise<void> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(
    file,
    await prettier.format(fs.readFileSync(file, 'utf8'), { ...options, filepath: file }),
  );
}

async function save(h: Harness, name: string, workflowId: string, runId?: string): Promise<void> {
  const history = await h.client.getHandle(workflowId, runId).fetchHistory();
  const file = saveHistory(SWEEP_HISTORIES, name, history);
  await prettify(file);
  console.log(`saved ${file} (${history.events?.length ?? 0} events)`);
}

/** Users of every kind a sweep meets: 3 without expiry, 1 expired but unlocked, 1 fine, 1 managed with drift. */
async function prepare(h: Harness): Promise<void> {
  h.sandbox.operator.seedUsers({ count: 3, prefix: 'replay-bare' });
  h.sandbox.operator.seedUsers({
    count: 1,
    prefix: 'replay-lapsed',
    expiresAt: new Date(Date.now() - DAY).toISOString(),
  });
  h.sandbox.operator.unlockUser('replay-lapsed-000001@sandbox.local');
  h.sandbox.operator.seedUsers({
    count: 1,
    prefix: 'replay-fine',
    expiresAt: new Date(Date.now() + 30 * DAY).toISOString(),
  });
  const request = sampleRequest({
    email: 'replay-managed@example.com',
    role: { name: 'Replay Sweep Role', permissions: ['Read-Only Lead'], workspace: 0 },
  });
  const id = await h.start(request);
  const handle = h.client.getHandle<typeof lifecycleWorkflow>(id);
  await statusWhen(handle, (s) => s.phase === 'active');
  const { userId, expiresAt } = await handle.query(statusQuery);
  await h.marketo.updateUser(userId!, { expiresAt: new Date(Date.parse(expiresAt) + 10 * DAY) });
}

async function main(): Promise<void> {
  const env = await startDevServer();
  let h: Harness | undefined;
  try {
    await sharedBundle();
    h = await createHarness(env);
    const harness = h;
    await h.withWorkers(async () => {
      await prepare(harness);
      const policy = { requireExpiry: 'set' as const, lockExpired: true };

      const dry: SweepReport = await harness.client.execute(sweepWorkflow, {
        taskQueue: harness.taskQueue,
        workflowId: 'sweep-dry-run',
        args: [{ dryRun: true, policy }],
      });
      assert.deepEqual(
        [dry.counts.expirySet, dry.counts.locked, dry.counts.driftCorrected, dry.counts.compliant],
        [3, 1, 1, 1],
      );
      await save(harness, 'sweep-dry-run', 'sweep-dry-run');

      const started = await harness.client.start(sweepWorkflow, {
        taskQueue: harness.taskQueue,
        workflowId: 'sweep-can',
        args: [{ policy, pageSize: 5, pagesPerRun: 1 }],
      });
      const real = await started.result();
      assert.equal(real.pages, 2, 'eight users, five a page');
      assert.deepEqual([real.counts.expirySet, real.counts.locked, real.counts.driftCorrected], [3, 1, 1]);
      await save(harness, 'sweep-can-run-1', 'sweep-can', started.firstExecutionRunId);
      await save(harness, 'sweep-can-run-2', 'sweep-can');
    });
    const keys = fs.readFileSync(path.join(h.dataDir, 'keys.json'), 'utf8');
    fs.mkdirSync(path.dirname(REPLAY_KEYS_FILE), { recursive: true });
    fs.writeFileSync(REPLAY_KEYS_FILE, keys, { mode: 0o600 });
    fs.chmodSync(REPLAY_KEYS_FILE, 0o600);
    await prettify(REPLAY_KEYS_FILE);
    console.log(`saved ${REPLAY_KEYS_FILE} (test-only keys)`);
  } finally {
    await h?.close();
    await env.teardown();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
