/**
 * The command line as a person or a script uses it: one `up` (child process, free ports, temp data folder),
 * then every command as its own process finding `up` through MARKETO_API_USERS_DATA_DIR alone. What the
 * commands claim is checked against the sandbox's state over HTTP, and bad input must change nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storedSecret } from '../helpers/stored-secrets';
import {
  cliEnv,
  describeRun,
  errorJsonSchema,
  freePorts,
  inPairs,
  killAll,
  onboardJsonSchema,
  oneJson,
  removeDir,
  runCli,
  sandboxState,
  sandboxUser,
  startUp,
  statusJsonSchema,
  tempDir,
  type CliRun,
  type OnboardJson,
  type UpProcess,
} from './support';

const DAY = 86_400_000;
const COMMANDS = [
  'up',
  'onboard',
  'status',
  'extend',
  'revoke',
  'rotate',
  'reassign',
  'credentials',
  'audit',
  'reencrypt-secrets',
  'list',
  'plan',
  'apply',
  'complete-step',
  'setup-namespace',
  'schedule-usage',
  'collect-usage',
  'demo',
  'worker',
  'sandbox',
  'codec-server',
];

/** `field: problem` lines of a bad-input answer (not the `error:` and `hint:` lines). */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /^[\w.-]+: \S/.test(line) && !/^(error|hint): /.test(line));
}

function assertBadInput(run: CliRun, field: RegExp, label: string): void {
  assert.equal(run.code, 2, `${label}: ${describeRun(run)}`);
  const lines = run.stderr.trim().split('\n');
  assert.match(lines[0] ?? '', /^error: /, `${label}: the first stderr line is the error`);
  assert.match(lines.at(-1) ?? '', /^hint: /, `${label}: the last stderr line is a hint`);
  const problems = problemLines(run.stderr);
  assert.ok(problems.length > 0, `${label}: no "field: problem" line in ${run.stderr}`);
  assert.ok(
    problems.some((p) => field.test(p)),
    `${label}: no problem line about ${String(field)} in ${problems.join(' | ')}`,
  );
}

describe('marketo-api-users CLI against a running `up`', () => {
  let dataDir: string;
  let up: UpProcess | undefined;
  let ports: number[];
  let sandboxUrl: string;
  let env: NodeJS.ProcessEnv;
  const scratch: string[] = [];
  /** Every run, for the check that no secret was ever printed. */
  const runs: CliRun[] = [];
  const cli = async (...args: string[]) => {
    const run = await runCli(args, { env });
    runs.push(run);
    return run;
  };
  /** The client secret of the custom service onboarding created (read from the secret store before revoke). */
  let serviceSecret: string | undefined;

  const stamp = Date.now().toString(36);
  const email = `cli-${stamp}@example.com`;
  const roleName = `CLI Role ${stamp}`;
  const onboardArgs = [
    'onboard',
    '--email',
    email,
    '--first-name',
    'CLI',
    '--last-name',
    'Test',
    '--role',
    roleName,
    '--permissions',
    'Read-Only Lead, Read-Only Activity',
    '--expires-in',
    '30d',
    '--reason',
    'TICKET-42',
  ];
  let onboarded: OnboardJson;
  let onboardStartedAt: number;

  before(async () => {
    ports = await freePorts(4);
    dataDir = tempDir('main');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    sandboxUrl = up.info.sandboxUrl!;
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
    for (const dir of scratch) removeDir(dir);
  });

  it('up --json prints one JSON line with where everything is, and those addresses answer', async () => {
    const info = up!.info;
    assert.equal(info.temporalAddress, `127.0.0.1:${ports[0]}`);
    assert.equal(info.uiUrl, `http://127.0.0.1:${ports[1]}`);
    assert.equal(info.sandboxUrl, `http://127.0.0.1:${ports[2]}`);
    assert.equal(info.marketoBaseUrl, info.sandboxUrl);
    assert.equal(info.dataDir, path.resolve(dataDir));
    assert.equal(info.notificationsFile, path.join(path.resolve(dataDir), 'notifications.log'));
    assert.ok(info.adminClientId && info.adminClientSecret, 'sandbox admin credentials are printed');
    assert.equal(up!.stderr(), '', 'up --json prints no progress');

    // stack.json is how the other commands find it.
    const stack = JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(stack['temporalAddress'], info.temporalAddress);
    assert.equal(stack['sandboxUrl'], info.sandboxUrl);
    assert.equal(stack['pid'], up!.child.pid);

    // The printed admin credentials are the sandbox's real ones: they get a token, a wrong secret does not.
    const token = (secret: string) =>
      fetch(
        `${sandboxUrl}/identity/oauth/token?${new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: info.adminClientId!,
          client_secret: secret,
        }).toString()}`,
      );
    assert.equal((await token(info.adminClientSecret)).status, 200);
    assert.equal((await token(`${info.adminClientSecret}x`)).status, 401);
    const state = await sandboxState(sandboxUrl);
    assert.equal(state.mode, 'automatic');
    assert.ok(state.services.some((s) => s.clientId === info.adminClientId));
    // The sandbox's admin endpoints need the token up wrote for its owner alone; up printed only where it is.
    assert.equal(info.sandboxAdminTokenFile, path.join(path.resolve(dataDir), 'sandbox-admin-token'));
    assert.equal(fs.statSync(info.sandboxAdminTokenFile).mode & 0o777, 0o600);
    const adminToken = fs.readFileSync(info.sandboxAdminTokenFile, 'utf8').trim();
    assert.ok(!up!.stdout().includes(adminToken), 'the admin token is not printed');
    assert.equal((await fetch(`${sandboxUrl}/sandbox/state`)).status, 401, 'no token, no admin endpoints');
    const ui = await fetch(info.uiUrl);
    assert.equal(ui.status, 200, 'the Temporal Web UI answers');
  });

  it('onboard prints the lifecycle for people, and --json finds the same one (started: false)', async () => {
    const before = await sandboxState(sandboxUrl);
    assert.equal(
      before.users.find((u) => u.emailAddress === email),
      undefined,
    );
    onboardStartedAt = Date.now();
    const human = await cli(...onboardArgs);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(
      human.stdout,
      new RegExp(`^Started the lifecycle of ${email.replace(/\./g, '\\.')}: active$`, 'm'),
    );
    const roleId = /^ {2}role id: +(\d+)$/m.exec(human.stdout)?.[1];
    const clientId = /^ {2}client id: +(\S+)$/m.exec(human.stdout)?.[1];
    const workflowId = /^ {2}workflow: +(\S+)$/m.exec(human.stdout)?.[1];
    assert.ok(roleId && clientId && workflowId, human.stdout);
    assert.match(human.stdout, /^ {2}secret: +file:\S+ \(in the secret store; never printed\)$/m);

    const again = await cli(...onboardArgs, '--json');
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(again.stderr, '', '--json prints no progress');
    onboarded = onboardJsonSchema.parse(oneJson(again));
    assert.equal(onboarded.started, false, 'the second onboard found the running lifecycle');
    assert.equal(onboarded.phase, 'active');
    assert.equal(onboarded.email, email);
    assert.equal(onboarded.workflowId, workflowId);
    assert.equal(onboarded.roleId, Number(roleId));
    assert.equal(onboarded.clientId, clientId);
    assert.equal(onboarded.userId, email);
    assert.equal(onboarded.pendingOperatorAction, null);
    assert.equal(onboarded.failure, null);
    assert.match(onboarded.secretRef ?? '', /^file:/);
    assert.match(human.stdout, new RegExp(`expires at: ${onboarded.expiresAt.replace(/\./g, '\\.')}`));
    const expiresAt = Date.parse(onboarded.expiresAt);
    assert.ok(
      expiresAt >= onboardStartedAt + 30 * DAY && expiresAt < Date.now() + 30 * DAY + 1000, // rounded up to the second
      `--expires-in 30d counts from the first onboard: ${onboarded.expiresAt}`,
    );

    // The sandbox has exactly what the command claims: one API-only user with this role and one service.
    const state = await sandboxState(sandboxUrl);
    const users = state.users.filter((u) => u.emailAddress === email);
    assert.equal(users.length, 1, 'onboarding twice made one user');
    const user = users[0]!;
    assert.equal(user.apiOnly, true);
    assert.equal(user.status, 'active');
    assert.equal(user.isLocked, false);
    assert.deepEqual(user.services, [clientId]);
    assert.deepEqual(
      user.userRoleWorkspaces.map((r) => r.accessRoleId),
      [Number(roleId)],
    );
    assert.ok(Math.abs(Date.parse(user.expiresAt ?? '') - expiresAt) < 1000, 'Marketo has the same expiry');
    assert.equal(state.roles.find((r) => r.name === roleName)?.id, Number(roleId));
    assert.equal(state.services.filter((s) => s.ownerEmail === email).length, 1);
    serviceSecret = (await storedSecret(dataDir, onboarded.secretRef!))?.clientSecret;
    assert.ok(serviceSecret, 'the service secret is in the secret store');
  });

  it('onboard --expires-at, --workspace ID or NAME, --service-name and --service-description reach Marketo', async () => {
    const at = new Date(Date.now() + 5 * DAY).toISOString().replace(/\.\d{3}Z$/, '.000Z');
    const byId = `cli-ws-id-${stamp}@example.com`;
    const byName = `cli-ws-name-${stamp}@example.com`;
    const flagged = (mail: string, workspace: string, extra: string[]) => [
      'onboard',
      '--email',
      mail,
      '--first-name',
      'Flag',
      '--last-name',
      'Check',
      '--role',
      `CLI Workspace Role ${workspace} ${stamp}`,
      '--permissions',
      'Read-Only Lead',
      '--workspace',
      workspace,
      ...extra,
      '--json',
    ];
    const [idRun, nameRun] = await Promise.all([
      cli(
        ...flagged(byId, '1008', [
          '--expires-at',
          at,
          '--service-name',
          `Flag Service ${stamp}`,
          '--service-description',
          `Described ${stamp}`,
        ]),
      ),
      cli(...flagged(byName, 'World', ['--expires-in', '2d'])),
    ]);
    assert.equal(idRun.code, 0, describeRun(idRun));
    assert.equal(nameRun.code, 0, describeRun(nameRun));
    const idResult = onboardJsonSchema.parse(oneJson(idRun));
    const nameResult = onboardJsonSchema.parse(oneJson(nameRun));
    assert.equal(idResult.phase, 'active');
    assert.equal(idResult.expiresAt, at, '--expires-at is the expiry, to the second');
    assert.equal(nameResult.phase, 'active');

    const state = await sandboxState(sandboxUrl);
    const idUser = state.users.find((u) => u.emailAddress === byId);
    const nameUser = state.users.find((u) => u.emailAddress === byName);
    assert.deepEqual(
      idUser?.userRoleWorkspaces.map((r) => r.workspaceId),
      [1008],
    );
    assert.deepEqual(
      nameUser?.userRoleWorkspaces.map((r) => r.workspaceId),
      [1008],
      'the workspace named World is 1008',
    );
    assert.ok(Math.abs(Date.parse(idUser.expiresAt ?? '') - Date.parse(at)) < 1000);
    const service = state.services.find((s) => s.ownerEmail === byId);
    assert.equal(service?.['displayName'], `Flag Service ${stamp}`);
    assert.equal(service?.['description'], `Described ${stamp}`);
    assert.equal(service?.clientId, idResult.clientId);
  });

  it('status shows the lifecycle, for people and as JSON (any letter case of the email)', async () => {
    const [human, json] = await Promise.all([
      cli('status', email),
      cli('status', email.toUpperCase(), '--json'),
    ]);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, new RegExp(`^email: +${email.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(human.stdout, /^phase: +active$/m);
    assert.match(human.stdout, new RegExp(`^role: +${roleName} \\(id ${onboarded.roleId}\\)$`, 'm'));
    assert.match(human.stdout, new RegExp(`^client id: +${onboarded.clientId}$`, 'm'));
    assert.match(human.stdout, new RegExp(`^workflow: +${onboarded.workflowId}$`, 'm'));
    assert.match(human.stdout, /^timeline:$/m);
    assert.match(human.stdout, /custom service created/);
    assert.match(human.stdout, /^last used: +unknown \(no usage collected yet/m);

    assert.equal(json.code, 0, describeRun(json));
    const status = statusJsonSchema.parse(oneJson(json));
    assert.equal(status.workflowId, onboarded.workflowId);
    assert.equal(status.email, email);
    assert.equal(status.phase, 'active');
    assert.equal(status.roleName, roleName);
    assert.equal(status.clientId, onboarded.clientId);
    assert.deepEqual(
      { lastUsedAt: status.lastUsedAt, idleDays: status.idleDays, neverUsedSince: status.neverUsedSince },
      { lastUsedAt: null, idleDays: null, neverUsedSince: null },
      'no usage was collected in this stack yet',
    );
    assert.equal(status.expiresAt, onboarded.expiresAt);
    assert.equal(status.extensions, 0);
    // No reminder at activation: the 30d lead is not shorter than the 30 days of access.
    assert.deepEqual(
      status.timeline.map((e) => e.event),
      ['requested', 'role created', 'user created', 'custom service created', 'active'],
    );
  });

  it('extend --by and --expires-at move the expiry in the workflow and in Marketo', async () => {
    const byRun = await cli('extend', email, '--by', '1d', '--json');
    assert.equal(byRun.code, 0, describeRun(byRun));
    const byStatus = statusJsonSchema.parse(oneJson(byRun));
    assert.equal(byStatus.expiresAt, new Date(Date.parse(onboarded.expiresAt) + DAY).toISOString());
    assert.equal(byStatus.extensions, 1);
    let user = await sandboxUser(sandboxUrl, email);
    assert.ok(Math.abs(Date.parse(user?.expiresAt ?? '') - Date.parse(byStatus.expiresAt)) < 1000);

    const target = new Date(Date.parse(onboarded.expiresAt) + 3 * DAY).toISOString();
    const atRun = await cli('extend', email, '--expires-at', target);
    assert.equal(atRun.code, 0, describeRun(atRun));
    assert.equal(atRun.stdout, `Extended ${email}: expires at ${target} (extension 2)\n`);
    const status = statusJsonSchema.parse(oneJson(await cli('status', email, '--json')));
    assert.equal(status.expiresAt, target);
    assert.equal(status.extensions, 2);
    user = await sandboxUser(sandboxUrl, email);
    assert.ok(Math.abs(Date.parse(user?.expiresAt ?? '') - Date.parse(target)) < 1000, user?.expiresAt ?? '');
    onboarded = { ...onboarded, expiresAt: target };
  });

  it('list shows the lifecycle in a table and as a JSON array', async () => {
    const [human, json] = await Promise.all([cli('list'), cli('list', '--json')]);
    assert.equal(human.code, 0, describeRun(human));
    const lines = human.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^EMAIL +PHASE +EXPIRES AT +LAST USED$/);
    const row = lines.find((l) => l.startsWith(`${email} `));
    assert.ok(row, human.stdout);
    // No usage was collected in this stack yet: last use is unknown, not "never".
    assert.deepEqual(row.split(/ +/), [email, 'active', onboarded.expiresAt, '-']);

    assert.equal(json.code, 0, describeRun(json));
    const all = oneJson(json);
    assert.ok(Array.isArray(all));
    const mine = (all as Record<string, unknown>[]).filter((l) => l['email'] === email);
    assert.equal(mine.length, 1);
    assert.deepEqual(
      { ...mine[0], startedAt: undefined },
      {
        workflowId: onboarded.workflowId,
        email,
        phase: 'active',
        expiresAt: onboarded.expiresAt,
        workflowStatus: 'RUNNING',
        startedAt: undefined,
        lastUsedAt: null,
        idleDays: null,
        neverUsedSince: null,
      },
    );
  });

  it('bad input exits 2 with `field: problem` lines and creates or changes nothing', async () => {
    const before = await sandboxState(sandboxUrl);
    const listedBefore = oneJson(await cli('list', '--json')) as unknown[];
    const fresh = (tag: string) => `cli-bad-${tag}-${stamp}@example.com`;
    const base = (mail: string) => [
      'onboard',
      '--email',
      mail,
      '--first-name',
      'Bad',
      '--last-name',
      'Input',
      '--role',
      `Bad Role ${stamp}`,
    ];
    const earlier = new Date(Date.parse(onboarded.expiresAt) - DAY).toISOString();
    const cases: { label: string; args: string[]; field: RegExp }[] = [
      {
        label: 'missing flags',
        args: ['onboard', '--email', fresh('missing')],
        field: /^(first-name|last-name|role|expires-at): required/,
      },
      {
        label: 'homoglyph email (Cyrillic а)',
        args: [...base(`cli-bad-\u0430dmin-${stamp}@example.com`), '--expires-in', '1d'],
        field: /^email: .*look-alike/,
      },
      {
        label: 'malformed --expires-at',
        args: [...base(fresh('at')), '--expires-at', '2027-02-30 noon'],
        field: /^expires-at: must be an ISO-8601/,
      },
      {
        label: '--expires-in 3x',
        args: [...base(fresh('in')), '--expires-in', '3x'],
        field: /^expires-in: must be a duration/,
      },
      {
        label: 'expiry past the maximum lifetime',
        args: [...base(fresh('max')), '--expires-in', '400d'],
        field: /^expires-at: must be within the maximum lifetime/,
      },
      {
        label: 'unknown permission',
        args: [
          ...base(fresh('perm')),
          '--expires-in',
          '1d',
          '--permissions',
          'Read-Only Lead,Fly To The Moon',
        ],
        field: /^permissions: /,
      },
      {
        label: 'both --expires-at and --expires-in',
        args: [...base(fresh('both')), '--expires-in', '1d', '--expires-at', '2030-01-01T00:00:00Z'],
        field: /^expires-at: give exactly one/,
      },
      {
        label: 'markup in a name',
        args: [...base(fresh('markup')).map((a) => (a === 'Bad' ? '<b>Bad</b>' : a)), '--expires-in', '1d'],
        field: /^first-name: must not contain/,
      },
      {
        label: 'unknown flag',
        args: [...base(fresh('flag')), '--expires-in', '1d', '--colour', 'blue'],
        field: /^arguments: Unknown option '--colour'/,
      },
      {
        label: 'extend to an earlier date',
        args: ['extend', email, '--expires-at', earlier],
        field: /expires-?at: must be later than the current expiry/i,
      },
      {
        label: 'extend with neither --by nor --expires-at',
        args: ['extend', email],
        field: /^expires-at: required/,
      },
      {
        label: 'extend past the maximum lifetime',
        args: ['extend', email, '--by', '400d'],
        field: /expires-?at: must be within the maximum lifetime/i,
      },
      {
        label: 'status of a non-email',
        args: ['status', 'not-an-email'],
        field: /^email: must be a plain ASCII email/,
      },
      {
        label: 'complete-step with an unknown step',
        args: ['complete-step', email, '--step', 'create-everything'],
        field: /^step: /,
      },
    ];
    const runs = await inPairs(cases.map((c) => () => cli(...c.args)));
    runs.forEach((run, i) => {
      const c = cases[i]!;
      // A refusal by the workflow is one line `error: refused: field: problem`; everything else lists problems.
      if (c.label.startsWith('extend to') || c.label.startsWith('extend past')) {
        assert.equal(run.code, 2, `${c.label}: ${describeRun(run)}`);
        assert.match(run.stderr, c.field, c.label);
        assert.match(run.stderr, /^hint: /m, c.label);
      } else {
        assertBadInput(run, c.field, c.label);
      }
      assert.equal(run.stdout, '', `${c.label}: nothing on stdout without --json`);
    });
    const missing = problemLines(runs[0]!.stderr);
    assert.deepEqual(missing, [
      'first-name: required (--first-name)',
      'last-name: required (--last-name)',
      'role: required (--role)',
      'expires-at: required (or --expires-in)',
    ]);

    // --json: one JSON object on stdout, the same problems.
    const jsonCases = [cases[2]!, cases[5]!, cases[8]!, cases[9]!];
    const jsonRuns = await inPairs(jsonCases.map((c) => () => cli(...c.args, '--json')));
    jsonRuns.forEach((run, i) => {
      const c = jsonCases[i]!;
      assert.equal(run.code, 2, `${c.label} --json: ${describeRun(run)}`);
      const body = errorJsonSchema.parse(oneJson(run));
      if (body.problems) {
        assert.equal(body.error, 'bad input');
        assert.ok(
          body.problems.some((p) => c.field.test(p)),
          `${c.label}: ${JSON.stringify(body)}`,
        );
      } else {
        assert.match(body.error, c.field, `${c.label}: ${JSON.stringify(body)}`);
      }
    });

    // Nothing was created or changed: no user, no role, no service, no workflow, the same expiry.
    const afterwards = await sandboxState(sandboxUrl);
    assert.equal(afterwards.users.length, before.users.length);
    assert.equal(afterwards.roles.length, before.roles.length);
    assert.equal(afterwards.services.length, before.services.length);
    assert.ok(!afterwards.users.some((u) => u.emailAddress.startsWith('cli-bad-')));
    assert.ok(!afterwards.roles.some((r) => r.name === `Bad Role ${stamp}`));
    const mine = afterwards.users.find((u) => u.emailAddress === email);
    assert.ok(Math.abs(Date.parse(mine?.expiresAt ?? '') - Date.parse(onboarded.expiresAt)) < 1000);
    const listedAfter = oneJson(await cli('list', '--json')) as unknown[];
    assert.equal(listedAfter.length, listedBefore.length, 'no lifecycle was started');
    const status = statusJsonSchema.parse(oneJson(await cli('status', email, '--json')));
    assert.equal(status.extensions, 2);
    assert.equal(status.expiresAt, onboarded.expiresAt);
  });

  it('a malformed EMAIL argument is reported as `email: problem`', async () => {
    const runs = await Promise.all([
      cli('status', 'not-an-email'),
      cli('revoke', 'bad@@example.com', '--json'),
    ]);
    for (const run of runs) assert.equal(run.code, 2, describeRun(run));
    assert.deepEqual(problemLines(runs[0].stderr), [
      'email: must be a plain ASCII email address like name@example.com (no look-alike Unicode letters)',
    ]);
    assert.match(errorJsonSchema.parse(oneJson(runs[1])).problems?.[0] ?? '', /^email: /);
  });

  it('status of an unknown email exits 1 with a hint', async () => {
    const unknown = `nobody-${stamp}@example.com`;
    const [human, json] = await Promise.all([cli('status', unknown), cli('status', unknown, '--json')]);
    assert.equal(human.code, 1, describeRun(human));
    assert.equal(human.stdout, '');
    const lines = human.stderr.trim().split('\n');
    assert.equal(lines.length, 2, human.stderr);
    assert.match(lines[0]!, new RegExp(`^error: No lifecycle for ${unknown.replace(/\./g, '\\.')}`));
    assert.match(lines[1]!, /^hint: .*onboard/);
    assert.equal(json.code, 1);
    const body = errorJsonSchema.parse(oneJson(json));
    assert.match(body.error, /No lifecycle for/);
    assert.match(body.hint ?? '', /list/);
  });

  it('revoke --reason deactivates at once and locks the user in Marketo', async () => {
    const run = await cli('revoke', email, '--reason', 'vendor offboarded', '--json');
    assert.equal(run.code, 0, describeRun(run));
    const status = statusJsonSchema.parse(oneJson(run));
    assert.equal(status.phase, 'deactivated');
    assert.equal(status.workflowId, onboarded.workflowId);
    assert.equal(status.deactivation?.cause, 'revoked');
    assert.equal(status.deactivation?.reason, 'vendor offboarded');
    assert.equal(status.deactivation?.outcome, 'locked');
    const user = await sandboxUser(sandboxUrl, email);
    assert.equal(user?.isLocked, true);
    assert.equal(user.services.length, 1, 'the service stays; its owner is locked');

    const human = await cli('status', email);
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /^phase: +deactivated$/m);
    assert.match(human.stdout, /^ended: +revoked at \S+: locked$/m);
  });

  it('revoking an ended lifecycle changes nothing and says so (exit 0, as `revoke --help` promises)', async () => {
    const [again, extend] = await Promise.all([
      cli('revoke', email, '--json'),
      cli('extend', email, '--by', '1d'),
    ]);
    assert.equal(again.code, 0, describeRun(again));
    assert.equal(statusJsonSchema.parse(oneJson(again)).phase, 'deactivated');
    // Extending an ended lifecycle is refused with the workflow's own words, not a Temporal internal.
    assert.equal(extend.code, 1, describeRun(extend));
    assert.match(extend.stderr, /only an active lifecycle can be extended/i);
  });

  it('--help of every command exits 0 with examples; an unknown command exits 2', async () => {
    const runs = await inPairs([
      () => cli('--help'),
      ...COMMANDS.map((name) => () => cli(name, '--help')),
      () => cli('status', '-h'),
      () => cli('frobnicate'),
    ]);
    const [top, ...rest] = runs;
    assert.equal(top!.code, 0);
    assert.match(top!.stdout, /^Examples:$/m);
    for (const name of COMMANDS) assert.match(top!.stdout, new RegExp(`^  ${name} `, 'm'));
    COMMANDS.forEach((name, i) => {
      const run = rest[i]!;
      assert.equal(run.code, 0, `${name} --help: ${describeRun(run)}`);
      assert.match(run.stdout, new RegExp(`^Usage: marketo-api-users ${name}\\b`), name);
      // demo, worker and sandbox show a single example under "Example:".
      assert.match(run.stdout, /^Examples?:$/m, `${name} --help has examples`);
      assert.equal(run.stderr, '');
    });
    const short = rest[COMMANDS.length]!;
    assert.equal(short.code, 0);
    assert.match(short.stdout, /^Usage: marketo-api-users status EMAIL/);
    const unknown = rest[COMMANDS.length + 1]!;
    assert.equal(unknown.code, 2, describeRun(unknown));
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^error: unknown command "frobnicate"\nhint: .*--help/);
  });

  it('a stray argument is refused by position, never echoed (it may be a secret)', async () => {
    const run = await cli(
      'complete-step',
      email,
      '--step',
      'create-service',
      '--client-id',
      'X',
      'S3CRET-typed-here',
    );
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /^arguments: unexpected argument at position 2 /m);
    assert.doesNotMatch(run.stdout + run.stderr, /S3CRET/);
  });

  it('no secret was ever printed: not the service secret, by no command, nor by `up` on stderr', () => {
    assert.ok(serviceSecret, 'the onboard test read the service secret');
    assert.ok(runs.length > 20, `${runs.length} runs checked`);
    for (const run of runs) {
      assert.ok(!run.stdout.includes(serviceSecret), `stdout of a run: ${run.stdout}`);
      assert.ok(!run.stderr.includes(serviceSecret), `stderr of a run: ${run.stderr}`);
    }
    assert.ok(!up!.stderr().includes(serviceSecret), 'up stderr');
    assert.ok(!up!.stdout().includes(serviceSecret), 'up stdout');
  });

  it('without `up` in the folder, or with a stale stack.json, commands exit 1 and say what to start', async () => {
    const empty = tempDir('no-up');
    const stale = tempDir('stale');
    scratch.push(empty, stale);
    const stack = JSON.parse(fs.readFileSync(path.join(dataDir, 'stack.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const closedPort = ports[3]!; // free, and nobody listens on it
    fs.writeFileSync(
      path.join(stale, 'stack.json'),
      JSON.stringify({ ...stack, temporalAddress: `127.0.0.1:${closedPort}`, pid: 999_999 }),
    );
    const inDir = (dir: string, ...args: string[]) =>
      runCli(args, { env: cliEnv({ MARKETO_API_USERS_DATA_DIR: dir }) });
    const [noUp, noUpJson, staleRun, staleOnboard] = await Promise.all([
      inDir(empty, 'status', email),
      inDir(empty, 'list', '--json'),
      inDir(stale, 'status', email),
      inDir(stale, ...onboardArgs.map((a) => (a === email ? `cli-stale-${stamp}@example.com` : a))),
    ]);
    assert.equal(noUp.code, 1, describeRun(noUp));
    assert.equal(noUp.stdout, '');
    // One line for what is wrong, one for what to do.
    const noUpLines = noUp.stderr.trim().split('\n');
    assert.equal(noUpLines.length, 2, noUp.stderr);
    assert.match(noUpLines[0]!, /^error: .*no running `up` wrote .*stack\.json/);
    assert.match(noUpLines[1]!, /^hint: .*marketo-api-users up/);
    assert.equal(noUpJson.code, 1);
    const noUpBody = errorJsonSchema.parse(oneJson(noUpJson));
    assert.match(noUpBody.error, /`up`/);
    assert.match(noUpBody.hint ?? '', /marketo-api-users up/);

    for (const run of [staleRun, staleOnboard]) {
      assert.equal(run.code, 1, describeRun(run));
      assert.match(
        run.stderr,
        new RegExp(
          `^error: No Temporal server answers at 127\\.0\\.0\\.1:${closedPort}.*\\nhint: .*marketo-api-users up`,
        ),
      );
    }
    const state = await sandboxState(sandboxUrl);
    assert.ok(!state.users.some((u) => u.emailAddress.startsWith('cli-stale-')));
  });
});
