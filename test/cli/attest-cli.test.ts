/**
 * `onboard --owner --ticket --attest-every` and `attest` from the command line: bad input exits 2 before anything
 * connects; against a running `up` an attestation is recorded, shown by `status` and `list`, in the audit log,
 * and refused (exit 2, nothing recorded) for an unknown or ended lifecycle; `reassign` moves the owner in place.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lifecycleStatusSchema } from '../../src/domain/lifecycle-status';
import {
  auditEventsOf,
  cliEnv,
  describeRun,
  errorJsonSchema,
  freePorts,
  inPairs,
  killAll,
  oneJson,
  removeDir,
  runCli,
  startUp,
  tempDir,
  type UpProcess,
} from './support';

const onboardArgs = (email: string, ...more: string[]) => [
  ...['onboard', '--email', email, '--first-name', 'Att', '--last-name', 'Est'],
  ...['--role', `Attest ${email.split('@')[0]}`, '--permissions', 'Read-Only Lead', '--expires-in', '60d'],
  ...more,
];

describe('attestation input is checked before anything connects', () => {
  let empty: string;
  before(() => {
    empty = tempDir('attest-first');
  });
  after(async () => {
    await killAll();
    removeDir(empty);
  });

  it('a bad owner, ticket, window or attest flag exits 2 with `flag: problem`', async () => {
    const cases: { args: string[]; problem: RegExp }[] = [
      {
        args: onboardArgs('a@example.com', '--owner', 'not an address'),
        problem: /^owner: must be a plain/m,
      },
      {
        args: onboardArgs('a@example.com', '--ticket', 'JIRA 123'),
        problem: /^ticket: must be an issue key/m,
      },
      { args: onboardArgs('a@example.com', '--attest-every', '30d'), problem: /^owner: required with/m },
      {
        args: onboardArgs('a@example.com', '--owner', 'o@example.com', '--attest-every', '7d'),
        problem: /^attestation-window: must be shorter than policy\.attestEveryMs \(7d\)/m,
      },
      {
        args: onboardArgs('a@example.com', '--remind', '7d,7d'),
        problem: /^remind: must not give the same/m,
      },
      { args: ['attest', 'a@example.com'], problem: /^by: required/m },
      { args: ['attest', 'a@example.com', '--by', 'o', '--decision', 'maybe'], problem: /^decision: /m },
      { args: ['attest', 'not-an-email', '--by', 'o'], problem: /^email: must be a plain ASCII email/m },
    ];
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: empty });
    const runs = await inPairs(cases.map((c) => () => runCli(c.args, { env })));
    runs.forEach((run, i) => {
      const c = cases[i]!;
      assert.equal(run.code, 2, `${c.args.join(' ')}: ${describeRun(run)}`);
      assert.match(run.stderr, /^error: bad input/);
      assert.match(run.stderr, c.problem, c.args.join(' '));
    });
  });
});

describe('attest against a running `up`', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const stamp = Date.now().toString(36);
  const email = `attested-${stamp}@example.com`;
  const cli = (...args: string[]) => runCli(args, { env });

  before(async () => {
    const [port, uiPort, sandboxPort] = await freePorts(3);
    dataDir = tempDir('attest');
    up = await startUp({ dataDir, port: port!, uiPort: uiPort!, sandboxPort: sandboxPort! });
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const onboard = await cli(
      ...onboardArgs(
        email,
        '--owner',
        'Data-Team@Example.com',
        '--ticket',
        'OPS-42',
        '--attest-every',
        '30d',
      ),
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  it('records an attestation, shown by status and list and in the audit log', async () => {
    const shown = await cli('status', email);
    assert.match(shown.stdout, /^owner: {6}data-team@example\.com \(ticket OPS-42\)$/m);
    assert.match(shown.stdout, /^next attestation: /m);
    const attested = await cli('attest', email, '--by', 'ada@example.com', '--note', 'still used', '--json');
    assert.equal(attested.code, 0, describeRun(attested));
    const status = lifecycleStatusSchema.parse(oneJson(attested));
    assert.equal(status.attestation?.last?.by, 'ada@example.com');
    assert.equal(status.attestation?.last?.decision, 'keep');
    const listed = await cli('list', '--json');
    const row = (oneJson(listed) as { email: string; owner?: string; ticket?: string }[]).find(
      (l) => l.email === email,
    );
    assert.deepEqual([row?.owner, row?.ticket], ['data-team@example.com', 'OPS-42']);
    const audit = await cli('audit', '--email', email, '--kind', 'attested', '--json');
    const [event] = auditEventsOf(audit);
    assert.equal(event?.actor, 'ada@example.com');
    assert.equal(event?.reason, 'still used');
    assert.equal(event?.detail['decision'], 'keep');
    assert.equal(event?.detail['lastUsedAt'], 'unknown');
  });

  it('reassign hands the access to another owner in place: the same credentials, the new owner everywhere', async () => {
    const before = await cli('credentials', email, '--json');
    assert.equal(before.code, 0, describeRun(before));
    const clearing = await cli('reassign', email, '--clear-owner');
    assert.equal(clearing.code, 2, describeRun(clearing));
    assert.match(clearing.stderr, /owner: cannot be cleared while the policy asks the owner to attest/);
    const moved = await cli(
      'reassign',
      email,
      '--owner',
      'Platform@Example.com',
      '--ticket',
      'OPS-77',
      '--reason',
      'team moved',
    );
    assert.equal(moved.code, 0, describeRun(moved));
    assert.match(
      moved.stdout,
      /^Reassigned .*: owner platform@example\.com, ticket OPS-77; its credentials are unchanged$/m,
    );
    const after = await cli('credentials', email, '--json');
    const idOf = (run: typeof before) => (oneJson(run) as { clientId: string }).clientId;
    assert.equal(idOf(after), idOf(before), 'the same custom service');
    const listed = await cli('list', '--json');
    const row = (oneJson(listed) as { email: string; owner?: string; ticket?: string }[]).find(
      (l) => l.email === email,
    );
    assert.deepEqual([row?.owner, row?.ticket], ['platform@example.com', 'OPS-77']);
    const audit = await cli('audit', '--email', email, '--kind', 'reassigned', '--json');
    const [event] = auditEventsOf(audit);
    assert.equal(event?.reason, 'team moved');
    assert.deepEqual(
      [event?.detail['ownerFrom'], event?.detail['ownerTo'], event?.detail['ticketTo']],
      ['data-team@example.com', 'platform@example.com', 'OPS-77'],
    );
  });

  it('refuses (exit 2) an attestation of an unknown or ended lifecycle, and records nothing', async () => {
    const unknown = await cli('attest', `nobody-${stamp}@example.com`, '--by', 'ada', '--json');
    assert.equal(unknown.code, 2, describeRun(unknown));
    assert.match(
      errorJsonSchema.parse(oneJson(unknown)).error,
      /^No lifecycle for nobody-.* Nothing was recorded\.$/,
    );
    const revoked = await cli('revoke', email, '--reason', 'test over');
    assert.equal(revoked.code, 0, describeRun(revoked));
    const ended = await cli('attest', email, '--by', 'ada');
    assert.equal(ended.code, 2, describeRun(ended));
    assert.match(
      ended.stderr,
      /^error: Only an active lifecycle can be attested; this one is deactivated\./m,
    );
    const audit = await cli('audit', '--email', email, '--kind', 'attested', '--json');
    assert.equal(auditEventsOf(audit).length, 1, 'only the first attestation');
    const reassigned = await cli('reassign', email, '--ticket', 'OPS-78');
    assert.equal(reassigned.code, 2, describeRun(reassigned));
    assert.match(
      reassigned.stderr,
      /^error: Only a running lifecycle changes its owner or ticket; this one is deactivated\./m,
    );
  });
});
