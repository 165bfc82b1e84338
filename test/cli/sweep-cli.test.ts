/**
 * `sweep` and `schedule-sweep` as a user runs them: the CLI as a child process against `up` (a real Temporal
 * server, the worker and the sandbox), the sandbox read over HTTP to see what changed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { sweepReportSchema } from '../../src/domain/sweep-policy';
import {
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  oneJson,
  removeDir,
  runCli,
  sandboxAdminHeaders,
  sandboxState,
  startUp,
  tempDir,
  type UpProcess,
} from './support';

const HAND = ['cli-000001@sandbox.local', 'cli-000002@sandbox.local'];

/** The parts of `schedule-sweep --describe --json` these tests read. */
const describedSchema = z.object({
  paused: z.boolean(),
  note: z.string().nullable(),
  nextRuns: z.array(z.string()),
  lastRun: z
    .object({
      workflowId: z.string(),
      status: z.string(),
      outcome: z.object({ counts: z.object({ scanned: z.number() }) }).nullable(),
    })
    .nullable(),
});

describe('sweep CLI', () => {
  let up: UpProcess | undefined;
  let dataDir: string;
  let sandboxUrl: string;
  let env: NodeJS.ProcessEnv;

  // Whole records, minus the orchestrator's last login, which each CLI run's token request moves.
  const usersNow = async () =>
    (await sandboxState(sandboxUrl)).users
      .map((u) => ({ ...u, lastLoginAt: undefined }))
      .sort((a, b) => a.emailAddress.localeCompare(b.emailAddress));
  const policyFile = (name: string, content: string) => {
    const file = path.join(dataDir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  before(async () => {
    const ports = await freePorts(3);
    dataDir = tempDir('sweep-cli');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    sandboxUrl = up.info.sandboxUrl!;
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    // Two API-only users made by hand, with no expiry.
    const seeded = await fetch(`${sandboxUrl}/sandbox/users/seed`, {
      method: 'POST',
      headers: sandboxAdminHeaders(sandboxUrl),
      body: JSON.stringify({ count: 2, prefix: 'cli' }),
    });
    assert.equal(seeded.status, 201);
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it('sweep --dry-run --json prints one report and changes nothing', async () => {
    const before = await usersNow();
    const run = await runCli(['sweep', '--dry-run', '--json', '--require-expiry', 'set'], { env });
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.stderr, '', '--json prints no progress');
    const report = sweepReportSchema.strict().parse(oneJson(run));
    assert.equal(report.dryRun, true);
    assert.equal(report.counts.expirySet, HAND.length);
    assert.deepEqual(report.lines.map((l) => l.email).sort(), HAND);
    assert.ok(report.lines.every((l) => !l.applied && l.action === 'set-expiry'));
    assert.deepEqual(await usersNow(), before, 'the dry run changed a user');
    assert.equal(
      fs.existsSync(path.join(dataDir, 'sweep-first-seen.json')),
      false,
      'no first sighting recorded',
    );
  });

  it('a bad or unknown-key policy file exits 2 with field: problem lines and changes nothing', async () => {
    const before = await usersNow();
    const cases: [string, RegExp][] = [
      ['{"requireExpiry":"sometimes"}', /^policy\.requireExpiry: /m],
      [
        '{"maxLifetimeMs":"90d","lockExpird":false}',
        /^policy\.lockExpird: unknown key \(a policy has .*lockExpired/m,
      ],
      ['not json', /^policy: .* is not a JSON object/m],
    ];
    for (const [content, problem] of cases) {
      const file = policyFile('bad-policy.json', content);
      const run = await runCli(['sweep', '--policy', file], { env });
      assert.equal(run.code, 2, `${content}: ${describeRun(run)}`);
      assert.match(run.stderr, problem, `${content}: ${run.stderr}`);
      assert.equal(run.stdout, '');
    }
    assert.deepEqual(await usersNow(), before);
  });

  it('sweep --policy FILE acts and prints the report with progress', async () => {
    const file = policyFile('policy.json', JSON.stringify({ requireExpiry: 'set', expiryGraceMs: '3d' }));
    const run = await runCli(['sweep', '--policy', file], { env });
    assert.equal(run.code, 0, describeRun(run));
    assert.match(run.stdout, /^Sweep done\. 1 page\(s\)$/m);
    assert.match(run.stdout, new RegExp(`expiry set ${HAND.length},`));
    assert.match(run.stderr, /^… sweeping$/m, 'plain progress lines when stderr is not a terminal');
    const users = (await sandboxState(sandboxUrl)).users;
    for (const email of HAND) {
      const user = users.find((u) => u.emailAddress === email);
      assert.ok(user?.expiresAt, `${email} got an expiry`);
      assert.match(run.stdout, new RegExp(`  ${email}: set-expiry → `));
    }
  });

  it('schedule-sweep --every 1h --policy FILE creates, updates, then --delete removes the schedule', async () => {
    const file = policyFile('policy.json', JSON.stringify({ requireExpiry: 'report' }));
    const scheduled = z.object({ scheduleId: z.string(), created: z.boolean(), every: z.string() }).strict();
    const created = await runCli(['schedule-sweep', '--every', '1h', '--policy', file, '--json'], { env });
    assert.equal(created.code, 0, describeRun(created));
    assert.deepEqual(scheduled.parse(oneJson(created)), {
      scheduleId: 'marketo-api-users-sweep',
      created: true,
      every: '1h',
    });
    const updated = await runCli(['schedule-sweep', '--every', '2h', '--policy', file], { env });
    assert.equal(updated.code, 0, describeRun(updated));
    assert.match(updated.stdout, /^Updated the sweep schedule: every 2h\.$/m);
    const deleted = await runCli(['schedule-sweep', '--delete'], { env });
    assert.equal(deleted.code, 0, describeRun(deleted));
    assert.match(deleted.stdout, /^The sweep schedule is deleted\.$/m);
    const again = await runCli(['schedule-sweep', '--delete', '--json'], { env });
    assert.deepEqual(oneJson(again), { deleted: false });
  });

  it('schedule-sweep --at, --pause --note, --describe, --resume, --trigger as a user runs them', async () => {
    const missing = await runCli(['schedule-sweep', '--describe'], { env });
    assert.equal(missing.code, 1, describeRun(missing));
    assert.match(missing.stderr, /^error: there is no sweep schedule/m);
    assert.match(missing.stderr, /^hint: create it first with `schedule-sweep --every 1h`/m);

    const args = ['--at', '00:05', '--timezone', 'America/Chicago', '--require-expiry', 'report'];
    const created = await runCli(['schedule-sweep', ...args, '--json'], { env });
    assert.equal(created.code, 0, describeRun(created));
    assert.deepEqual(oneJson(created), {
      scheduleId: 'marketo-api-users-sweep',
      created: true,
      at: '00:05',
      timezone: 'America/Chicago',
    });
    const paused = await runCli(['schedule-sweep', '--pause', '--note', 'quota maintenance'], { env });
    assert.equal(paused.code, 0, describeRun(paused));
    assert.match(paused.stdout, /^The sweep schedule is paused: quota maintenance$/m);
    const shown = await runCli(['schedule-sweep', '--describe'], { env });
    assert.equal(shown.code, 0, describeRun(shown));
    assert.match(
      shown.stdout,
      /^Sweep schedule marketo-api-users-sweep: PAUSED \(note: quota maintenance\)$/m,
    );
    assert.match(shown.stdout, /^Runs: daily at 00:05 America\/Chicago; /m);
    assert.match(shown.stdout, /^Last run: none yet$/m);
    assert.match(shown.stdout, /^Policy: require expiry report /m);

    const resumed = await runCli(['schedule-sweep', '--resume', '--json'], { env });
    assert.equal(resumed.code, 0, describeRun(resumed));
    assert.deepEqual(z.object({ paused: z.boolean(), changed: z.boolean() }).parse(oneJson(resumed)), {
      paused: false,
      changed: true,
    });
    const triggered = await runCli(['schedule-sweep', '--trigger', '--json'], { env });
    assert.equal(triggered.code, 0, describeRun(triggered));
    assert.equal(z.object({ triggered: z.boolean() }).parse(oneJson(triggered)).triggered, true);

    // up's worker runs the triggered sweep; describe shows it once it finished.
    let last: z.infer<typeof describedSchema> | undefined;
    for (let i = 0; i < 15 && last?.lastRun?.status !== 'completed'; i++) {
      const run = await runCli(['schedule-sweep', '--describe', '--json'], { env });
      assert.equal(run.code, 0, describeRun(run));
      last = describedSchema.parse(oneJson(run));
    }
    assert.equal(last?.lastRun?.status, 'completed', JSON.stringify(last));
    assert.equal(last.paused, false);
    assert.ok(last.lastRun.workflowId.startsWith('marketo-api-users-sweep-'), last.lastRun.workflowId);
    assert.equal(last.lastRun.outcome?.counts.scanned, (await sandboxState(sandboxUrl)).users.length);
    assert.equal(last.nextRuns.length, 5);
    for (const at of last.nextRuns) assert.match(at, /T0[56]:05:00\.000Z$/, 'CST is UTC-6, CDT UTC-5');
    const deleted = await runCli(['schedule-sweep', '--delete'], { env });
    assert.equal(deleted.code, 0, describeRun(deleted));
  });

  it('--help of both commands shows usage and examples', async () => {
    for (const command of ['sweep', 'schedule-sweep']) {
      const run = await runCli([command, '--help'], { env });
      assert.equal(run.code, 0, describeRun(run));
      assert.match(run.stdout, new RegExp(`^Usage: marketo-api-users ${command} `, 'm'));
      assert.match(run.stdout, /^Examples:$/m);
      assert.match(run.stdout, new RegExp(`^  marketo-api-users ${command} --`, 'm'));
      assert.match(run.stdout, /--policy FILE/);
    }
  });
});
