/**
 * Bad input is bad input whether or not anything runs: with an empty data folder (no `up`, no Temporal, no
 * Marketo configured), the CLI exits 2 with `field: problem` lines and the client API raises InputError,
 * instead of complaining that no `up` runs. Good input in the same folder is the "no `up`" error with a hint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  completeStep,
  ContextError,
  extend,
  InputError,
  onboard,
  revoke,
  scheduleSweep,
  status,
  sweep,
  type OnboardInput,
  type SweepRunInput,
} from '../../src';
import { cliEnv, describeRun, inPairs, killAll, removeDir, runCli, tempDir } from './support';

describe('input is checked before anything connects', () => {
  let empty: string;
  let env: NodeJS.ProcessEnv;
  const saved = { ...process.env };

  before(() => {
    empty = tempDir('validate-first');
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: empty });
    // The client API reads process.env: nothing here may point it at a real instance or cluster.
    for (const key of Object.keys(process.env)) {
      if (/^(MARKETO_|TEMPORAL_)/.test(key)) delete process.env[key];
    }
  });

  after(async () => {
    await killAll();
    removeDir(empty);
    Object.assign(process.env, saved);
  });

  const onboardArgs = ['onboard', '--email', 'vf@example.com', '--first-name', 'V', '--last-name', 'F'];

  it('the CLI exits 2 with `field: problem` for each command, with no `up` in the folder', async () => {
    const cases: { args: string[]; problem: RegExp }[] = [
      {
        args: [...onboardArgs, '--role', 'R', '--expires-in', '3x'],
        problem: /^expires-in: must be a duration/m,
      },
      {
        args: [...onboardArgs, '--role', 'R', '--expires-in', '400d'],
        problem: /^expires-at: must be within the maximum lifetime/m,
      },
      { args: ['status', 'not-an-email'], problem: /^email: must be a plain ASCII email/m },
      { args: ['extend', 'vf@example.com', '--by', 'soon'], problem: /^by: must be a duration/m },
      { args: ['revoke', 'vf@example.com', '--reason', '<b>x</b>'], problem: /^reason: /m },
      {
        args: ['complete-step', 'vf@example.com', '--step', 'create-service', '--client-id', 'bad id!'],
        problem: /^client-id: /m,
      },
      { args: ['credentials', 'not-an-email'], problem: /^email: must be a plain ASCII email/m },
      { args: ['credentials', 'vf@example.com', '--format', 'xml'], problem: /^format: must be one of/m },
      { args: ['credentials', 'vf@example.com', '--force'], problem: /^force: only with --output/m },
      { args: ['credentials', 'vf@example.com', '--actor', '<b>x</b>'], problem: /^actor: /m },
      { args: ['rotate', 'vf@example.com', '--overlap', '5s'], problem: /^overlap: must be at least 30s$/m },
      { args: ['rotate', 'vf@example.com', '--overlap', 'abc'], problem: /^overlap: must be a duration/m },
      {
        args: ['rotate', 'vf@example.com', '--confirm-switched', '--overlap', '1d'],
        problem: /^confirm-switched: takes no --overlap or --reason/m,
      },
      { args: ['reassign', 'vf@example.com', '--owner', 'not-an-email'], problem: /^owner: /m },
      {
        args: ['reassign', 'vf@example.com', '--ticket', 'free text'],
        problem: /^ticket: must be an issue key/m,
      },
      { args: ['reassign', 'vf@example.com'], problem: /^owner: give --owner, --ticket/m },
      {
        args: ['reassign', 'vf@example.com', '--owner', 'a@example.com', '--clear-owner'],
        problem: /^owner: give --owner or --clear-owner, not both/m,
      },
      { args: ['audit', '--since', 'yesterday'], problem: /^since: /m },
      { args: ['audit', '--kind', 'deleted'], problem: /^kind: /m },
    ];
    const runs = await inPairs(
      cases.map((c) => () => runCli(c.args, { env, input: c.args[0] === 'complete-step' ? 'x' : undefined })),
    );
    runs.forEach((run, i) => {
      const c = cases[i]!;
      assert.equal(run.code, 2, `${c.args.join(' ')}: ${describeRun(run)}`);
      assert.match(run.stderr, /^error: bad input/);
      assert.match(run.stderr, c.problem, c.args.join(' '));
      assert.doesNotMatch(run.stderr, /No Marketo instance known/);
    });
  });

  it('flags: a repeated flag, a flag as a value, --every under the floor, schedule verbs with other flags, a bad --at or --timezone exit 2', async () => {
    const good = [...onboardArgs, '--role', 'R', '--expires-in', '3d'];
    const cases: { args: string[]; problem: RegExp }[] = [
      { args: [...good, '--email', 'other@example.com'], problem: /^email: given more than once/m },
      { args: [...good, '--role', 'Admin'], problem: /^role: given more than once/m },
      { args: ['status', 'vf@example.com', '--json', '--json'], problem: /^json: given more than once/m },
      { args: ['extend', 'vf@example.com', '--by', '1d', '--by=2d'], problem: /^by: given more than once/m },
      { args: ['revoke', 'vf@example.com', '--reason', '--help'], problem: /^reason: missing value/m },
      { args: ['revoke', 'vf@example.com', '--reason=--json'], problem: /^reason: missing value/m },
      { args: [...onboardArgs, '--role', '-h', '--expires-in', '3d'], problem: /^role: missing value/m },
      { args: ['schedule-sweep', '--every', '30s'], problem: /^every: must be at least 1m/m },
      {
        args: ['schedule-sweep', '--delete', '--exempt', '*@x.com', '--max-lifetime', 'soon'],
        problem: /^delete: takes no other flags \(got --exempt, --max-lifetime\)/m,
      },
      {
        args: ['schedule-sweep', '--delete', '--no-lock-expired'],
        problem: /^delete: takes no other flags/m,
      },
      {
        args: ['schedule-sweep', '--at', '00:05', '--timezone', 'Mars/Olympus_Mons'],
        problem: /^timezone: must be an IANA time zone such as America\/Chicago or UTC$/m,
      },
      { args: ['schedule-sweep', '--at', '24:00'], problem: /^at: must be a time of day as HH:MM/m },
      {
        args: ['schedule-sweep', '--every', '1h', '--at', '00:05'],
        problem: /^every: give --every or --at, not both$/m,
      },
      {
        args: ['schedule-sweep', '--every', '1h', '--timezone', 'UTC'],
        problem: /^timezone: only with --at/m,
      },
      {
        args: ['schedule-sweep', '--pause', '--every', '1h', '--note', 'x'],
        problem: /^pause: takes no other flags but --note \(got --every\)$/m,
      },
      {
        args: ['schedule-sweep', '--pause', '--resume'],
        problem: /^pause: one at a time \(got --pause, --resume\)$/m,
      },
      {
        args: ['schedule-sweep', '--describe', '--at', '00:05'],
        problem: /^describe: takes no other flags \(got --at\)$/m,
      },
      { args: ['schedule-sweep', '--trigger', '--note', 'now'], problem: /^trigger: takes no other flags/m },
      {
        args: ['schedule-sweep', '--every', '1h', '--note', 'x'],
        problem: /^note: only with --pause or --resume$/m,
      },
      {
        args: ['schedule-sweep', '--pause', '--note', 'a\u0007b'],
        problem: /^note: must be one line of text, without control characters$/m,
      },
      { args: ['schedule-usage', '--at', '24:00'], problem: /^at: must be a time of day as HH:MM/m },
      {
        args: ['schedule-usage', '--timezone', 'Mars/Olympus_Mons'],
        problem: /^timezone: must be an IANA time zone such as America\/Chicago or UTC$/m,
      },
      { args: ['schedule-usage', '--delete', '--at', '00:30'], problem: /^delete: comes alone/m },
      { args: ['sweep', '--idle-notify-after', '30d'], problem: /^idle-notify-after: only with --max-idle/m },
      {
        args: ['sweep', '--max-idle', '10d', '--idle-notify-after', '20d'],
        problem: /^policy\.maxIdle: notifyAfterMs must be shorter than lockAfterMs/m,
      },
    ];
    const runs = await inPairs(cases.map((c) => () => runCli(c.args, { env })));
    runs.forEach((run, i) => {
      const c = cases[i]!;
      assert.equal(run.code, 2, `${c.args.join(' ')}: ${describeRun(run)}`);
      assert.match(run.stderr, /^error: bad input/, c.args.join(' '));
      assert.match(run.stderr, c.problem, c.args.join(' '));
      assert.doesNotMatch(
        run.stdout,
        /^Usage:/m,
        `${c.args.join(' ')}: a flag's value is not a help request`,
      );
    });
  });

  it('names, emails, permissions and short durations are refused at the edge (CLI exit 2, client InputError)', async () => {
    const cases: { args: string[]; problem: RegExp }[] = [
      {
        args: [
          ...onboardArgs.slice(0, 3),
          '--first-name',
          'Ad\u202Ea',
          '--last-name',
          'F',
          '--role',
          'R',
          '--expires-in',
          '3d',
        ],
        problem: /^first-name: must not contain bidirectional/m,
      },
      {
        args: [
          'onboard',
          '--email',
          'a..b@example.com',
          '--first-name',
          'V',
          '--last-name',
          'F',
          '--role',
          'R',
          '--expires-in',
          '3d',
        ],
        problem: /^email: .*dot/m,
      },
      {
        args: [...onboardArgs, '--role', 'R', '--expires-in', '30s'],
        problem: /^expires-in: must be at least 1m/m,
      },
      {
        args: [
          ...onboardArgs,
          '--role',
          'R',
          '--expires-in',
          '3d',
          '--permissions',
          'Read-Only Lead,Read-Only Lead',
        ],
        problem: /^permissions: .*"Read-Only Lead" more than once/m,
      },
    ];
    const runs = await inPairs(cases.map((c) => () => runCli(c.args, { env })));
    runs.forEach((run, i) => {
      const c = cases[i]!;
      assert.equal(run.code, 2, `${c.args.join(' ')}: ${describeRun(run)}`);
      assert.match(run.stderr, c.problem, c.args.join(' '));
    });
    const opts = { dataDir: empty };
    const input: OnboardInput = {
      email: 'vf@example.com',
      firstName: 'V',
      lastName: 'F',
      role: { name: 'R' },
      expiresIn: '3d',
    };
    const bad = (field: RegExp) => (e: unknown) =>
      e instanceof InputError && e.problems.some((p) => field.test(p));
    await assert.rejects(
      onboard({ ...input, expiresIn: 1000 }, opts),
      bad(/^expiresIn: must be at least 1m/),
    );
    await assert.rejects(
      onboard({ ...input, policy: { operatorReminderEveryMs: '1s' } }, opts),
      bad(/^policy\.operatorReminderEveryMs: must be at least 1m/),
    );
    await assert.rejects(
      onboard({ ...input, expiresIn: undefined, expiresAt: new Date(Date.now() + 5000).toISOString() }, opts),
      bad(/^expiresAt: must be at least 1m from now/),
    );
    await assert.rejects(
      onboard({ ...input, lastName: '\u200B \u200B' }, opts),
      bad(/^lastName: must not be blank/),
    );
    await assert.rejects(scheduleSweep({ every: '30s' }, opts), bad(/^every: must be at least 1m/));
    await assert.rejects(
      sweep({ policy: { requireExpiry: 'sometimes' } } as unknown as SweepRunInput, opts),
      bad(/^policy\.requireExpiry: /),
    );
  });

  it('good input in the same folder says that no `up` runs: one error line and one hint line (exit 1)', async () => {
    const run = await runCli([...onboardArgs, '--role', 'R', '--expires-in', '3d'], { env });
    assert.equal(run.code, 1, describeRun(run));
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 2, run.stderr);
    assert.match(lines[0]!, /^error: No Marketo instance known: no running `up` wrote .*stack\.json/);
    assert.match(lines[1]!, /^hint: Start `marketo-api-users up`/);
  });

  it('the client API raises InputError before it looks for `up`, and ContextError (exported) after', async () => {
    const opts = { dataDir: empty };
    const input: OnboardInput = {
      email: 'vf@example.com',
      firstName: 'V',
      lastName: 'F',
      role: { name: 'R' },
      expiresIn: '3x',
    };
    const bad = (field: RegExp) => (e: unknown) =>
      e instanceof InputError && e.problems.some((p) => field.test(p));
    await assert.rejects(onboard(input, opts), bad(/^expiresIn: must be a duration/));
    await assert.rejects(status('not-an-email', opts), bad(/^email: /));
    await assert.rejects(extend('vf@example.com', { by: 'soon' }, opts), bad(/^by: /));
    await assert.rejects(revoke('not-an-email', {}, opts), bad(/^email: /));
    await assert.rejects(
      completeStep(
        'vf@example.com',
        { step: 'create-service', clientId: 'bad id!', clientSecret: 's' },
        opts,
      ),
      bad(/^clientId: /),
    );
    await assert.rejects(
      onboard({ ...input, expiresIn: '3d' }, opts),
      (e: unknown) => e instanceof ContextError && /start `marketo-api-users up`/i.test(e.hint),
    );
  });
});
