/**
 * The operator path through the CLI: `up` pointed at a "real" Marketo (a sandbox in real-like mode, whose
 * roles and custom services only an operator can make), the test playing the operator, and `complete-step`
 * handing over what the operator made. The client secret travels by file or stdin only and is never printed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
import { storedSecret } from '../helpers/stored-secrets';
import {
  cliEnv,
  describeRun,
  eventually,
  freePorts,
  instructionValue,
  killAll,
  onboardJsonSchema,
  oneJson,
  removeDir,
  runCli,
  startUp,
  statusJsonSchema,
  tempDir,
  type CliRun,
  type RunOptions,
  type StatusJson,
  type UpProcess,
} from './support';

const planJsonSchema = z.object({
  plan: z.object({
    actions: z.array(z.object({ kind: z.string(), operatorSteps: z.array(z.string()).optional() })),
  }),
});

describe('complete-step: the operator path through the CLI (sandbox in real-like mode as "real" Marketo)', () => {
  let sandbox: RunningSandbox;
  let up: UpProcess | undefined;
  let dataDir: string;
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  /** Every CLI run, to check that no secret was ever printed. */
  const runs: CliRun[] = [];
  const secrets: string[] = [];
  const cli = async (args: string[], options: Omit<RunOptions, 'env'> = {}) => {
    const run = await runCli(args, { ...options, env });
    runs.push(run);
    return run;
  };
  const stamp = Date.now().toString(36);
  const roleName = `Operator Role ${stamp}`;
  const first = `op-first-${stamp}@example.com`;
  const second = `op-second-${stamp}@example.com`;
  const onboardArgs = (email: string) => [
    'onboard',
    '--email',
    email,
    '--first-name',
    'Op',
    '--last-name',
    'Path',
    '--role',
    roleName,
    '--permissions',
    'Read-Only Lead,Read-Only Activity',
    '--expires-in',
    '2d',
  ];
  const statusOf = async (email: string): Promise<StatusJson> => {
    const run = await cli(['status', email, '--json']);
    assert.equal(run.code, 0, describeRun(run));
    return statusJsonSchema.parse(oneJson(run));
  };
  const statusWhen = (email: string, predicate: (s: StatusJson) => boolean, what: string) =>
    eventually(
      async () => {
        const s = await statusOf(email);
        return predicate(s) ? s : undefined;
      },
      30_000,
      what,
      300,
    );
  const userIn = (email: string) => sandbox.snapshot().users.find((u) => u.emailAddress === email);

  before(async () => {
    sandbox = await startSandbox({ mode: 'real-like', env: {} });
    const [port, uiPort, sandboxPort] = await freePorts(3);
    dataDir = tempDir('operator');
    scratch = tempDir('operator-scratch');
    up = await startUp({
      dataDir,
      port: port!,
      uiPort: uiPort!,
      sandboxPort: sandboxPort!,
      env: cliEnv({
        MARKETO_BASE_URL: sandbox.baseUrl,
        MARKETO_CLIENT_ID: sandbox.adminClientId,
        MARKETO_CLIENT_SECRET: sandbox.adminClientSecret,
      }),
    });
    // The commands find everything through the data folder alone.
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    await sandbox?.close();
    removeDir(dataDir);
    removeDir(scratch);
  });

  it('`up` uses the configured instance instead of its own sandbox', () => {
    assert.equal(up!.info.marketoBaseUrl, sandbox.baseUrl);
    assert.equal(up!.info.sandboxUrl, null);
    assert.equal(up!.info.adminClientId, null);
    assert.equal(up!.info.adminClientSecret, null);
    assert.ok(!up!.stdout().includes(sandbox.adminClientSecret), 'the real admin secret is not printed');
  });

  it('plan names the operator steps each change needs, in the table and in --json, and changes nothing', async () => {
    const handMade = sandbox.operator.seedUsers({ count: 1, prefix: `op-hand-${stamp}` }).firstUserid;
    const entry = (email: string) =>
      `  - email: ${email}\n    firstName: Op\n    lastName: Plan\n` +
      `    role: { name: ${roleName}, permissions: [Read-Only Lead] }\n    lifetime: 2d\n`;
    const file = path.join(scratch, 'users.yaml');
    fs.writeFileSync(file, `users:\n${entry(`op-planned-${stamp}@example.com`)}${entry(handMade)}`);
    // The orchestrator's token use moves its lastLoginAt: everything else must stay as it was.
    const usersNow = () => JSON.stringify(sandbox.snapshot().users.map(({ lastLoginAt: _, ...u }) => u));
    const before = usersNow();
    const table = await cli(['plan', '-f', file]);
    assert.equal(table.code, 4, describeRun(table));
    assert.match(
      table.stdout,
      new RegExp(`^ +operator: create role "${roleName}" in Admin > Users & Roles`, 'm'),
    );
    assert.match(
      table.stdout,
      new RegExp(`^ +operator: create custom service "API access for ${handMade}"`, 'm'),
    );
    const json = await cli(['plan', '-f', file, '--json']);
    assert.equal(json.code, 4, describeRun(json));
    const { plan } = planJsonSchema.parse(oneJson(json));
    assert.deepEqual(
      plan.actions.map((a) => [a.kind, a.operatorSteps?.length]),
      [
        ['create', 2],
        ['adopt', 2],
      ],
    );
    assert.match(plan.actions[1]!.operatorSteps![1]!, /--step create-service --client-id <Client Id>/);
    assert.equal(usersNow(), before, 'a plan changes nothing');
  });

  it('role step: waits for the operator, refuses "done" before it is done, verifies the role', async () => {
    const started = await cli([...onboardArgs(first), '--json']);
    assert.equal(started.code, 0, describeRun(started));
    const onboarded = onboardJsonSchema.parse(oneJson(started));
    assert.equal(onboarded.phase, 'awaiting-operator');
    assert.equal(onboarded.started, true);
    const action = onboarded.pendingOperatorAction;
    assert.equal(action?.step, 'create-role');
    assert.equal(instructionValue(action.instructions, 'Role Name'), roleName);
    assert.equal(
      instructionValue(action.instructions, 'Permissions (Access API group)'),
      'Read-Only Lead, Read-Only Activity',
    );
    assert.ok(action.instructions.some((l) => l.includes(`complete-step ${first} --step create-role`)));
    assert.equal(userIn(first), undefined, 'no user before the role exists');

    // "Done" before it is done: the workflow checks roles.json and says what is missing.
    const early = await cli(['complete-step', first, '--step', 'create-role']);
    assert.equal(early.code, 1, describeRun(early));
    assert.match(early.stdout, /^Not verified: .*no role named.*Fix it and run complete-step again\.$/m);

    // The operator makes the role as instructed, then says so.
    const role = sandbox.operator.createRole({
      name: instructionValue(action.instructions, 'Role Name'),
      permissions: instructionValue(action.instructions, 'Permissions (Access API group)').split(', '),
    });
    const done = await cli(['complete-step', first, '--step', 'create-role', '--json']);
    assert.equal(done.code, 0, describeRun(done));
    const body = oneJson(done) as { verified: boolean; problem: string | null; status: unknown };
    assert.equal(body.verified, true);
    assert.equal(body.problem, null);
    assert.equal(statusJsonSchema.parse(body.status).workflowId, onboarded.workflowId);

    // The workflow goes on: creates the user with that role, then waits for the custom service.
    const waiting = await statusWhen(
      first,
      (s) => s.pendingOperatorAction?.step === 'create-service',
      'the create-service step',
    );
    assert.equal(waiting.roleId, role.id, 'the role the operator made is the one used');
    const user = userIn(first);
    assert.ok(user);
    assert.equal(user.apiOnly, true);
    assert.deepEqual(
      user.userRoleWorkspaces.map((r) => r.accessRoleId),
      [role.id],
    );
    assert.equal(waiting.userId, user.userid);
  });

  it('service step: a wrong secret on stdin is not verified (exit 1), the right one from a file is', async () => {
    const waiting = await statusOf(first);
    const action = waiting.pendingOperatorAction!;
    assert.equal(action.step, 'create-service');
    const service = sandbox.operator.createService({
      displayName: instructionValue(action.instructions, 'Display Name'),
      description: instructionValue(action.instructions, 'Description'),
      email: instructionValue(action.instructions, 'API Only User'),
    });
    secrets.push(service.clientSecret);

    const wrong = await cli(
      ['complete-step', first, '--step', 'create-service', '--client-id', service.clientId],
      {
        input: `${service.clientSecret.slice(0, -3)}xyz\n`,
      },
    );
    assert.equal(wrong.code, 1, describeRun(wrong));
    assert.match(wrong.stdout, /^Not verified: .*refused the client id and secret/m);
    const afterWrong = await statusOf(first);
    assert.equal(afterWrong.phase, 'awaiting-operator');
    assert.equal(afterWrong.pendingOperatorAction?.step, 'create-service');
    assert.equal(afterWrong.clientId, undefined);

    const secretFile = path.join(scratch, 'secret.txt');
    fs.writeFileSync(secretFile, `${service.clientSecret}\n`, { mode: 0o600 });
    const right = await cli([
      'complete-step',
      first,
      '--step',
      'create-service',
      '--client-id',
      service.clientId,
      '--secret-file',
      secretFile,
    ]);
    assert.equal(right.code, 0, describeRun(right));
    assert.match(right.stdout, /^Verified create-service; the lifecycle is [\w-]+\.$/m);

    const active = await statusWhen(first, (s) => s.phase === 'active', 'the lifecycle to be active');
    assert.equal(active.clientId, service.clientId);
    assert.equal(active.pendingOperatorAction, undefined);
    // The secret went to the store the workers use (trimmed), and nowhere in the status.
    const stored = await storedSecret(dataDir, active.secretRef!);
    assert.deepEqual(stored, { clientId: service.clientId, clientSecret: service.clientSecret });
    assert.ok(!JSON.stringify(active).includes(service.clientSecret));
  });

  it('a second user: the existing role is confirmed by id, the secret can be piped on stdin, and never be an argument', async () => {
    const human = await cli(onboardArgs(second));
    assert.equal(human.code, 0, describeRun(human));
    assert.match(human.stdout, /^Started the lifecycle of \S+: awaiting-operator$/m);
    // roles.json does not list the existing role's permissions: the operator must confirm them, by the role's id.
    assert.match(human.stdout, /^Operator action needed \(confirm-role\):$/m);
    const roleId = sandbox.snapshot().roles.find((r) => r.name === roleName)?.id;
    assert.ok(roleId !== undefined);
    assert.match(human.stdout, new RegExp(`--step confirm-role --role-id ${roleId}$`, 'm'));
    assert.equal(userIn(second), undefined, 'no user before the operator confirms the role');
    const noRoleId = await cli(['complete-step', second, '--step', 'confirm-role']);
    assert.equal(noRoleId.code, 2, describeRun(noRoleId));
    assert.match(noRoleId.stderr, /^role-id: required/m);
    const confirmed = await cli([
      'complete-step',
      second,
      '--step',
      'confirm-role',
      '--role-id',
      `${roleId}`,
    ]);
    assert.equal(confirmed.code, 0, describeRun(confirmed));
    assert.match(confirmed.stdout, /^Verified confirm-role; the lifecycle is /m);

    const waiting = await statusWhen(
      second,
      (s) => s.pendingOperatorAction?.step === 'create-service',
      'the service step of the second lifecycle',
    );
    assert.equal(waiting.roleId, roleId);
    const action = waiting.pendingOperatorAction!;
    assert.equal(instructionValue(action.instructions, 'API Only User'), second);
    const service = sandbox.operator.createService({
      displayName: instructionValue(action.instructions, 'Display Name'),
      email: instructionValue(action.instructions, 'API Only User'),
    });
    secrets.push(service.clientSecret);

    // A secret on the command line is refused before anything happens, without echoing it.
    const asArgument = await cli([
      'complete-step',
      second,
      '--step',
      'create-service',
      '--client-id',
      service.clientId,
      '--secret',
      service.clientSecret,
    ]);
    assert.equal(asArgument.code, 2, describeRun(asArgument));
    assert.match(asArgument.stderr, /^arguments: Unknown option '--secret'/m);
    // Nothing on stdin is no secret: bad input, named after the flag a person knows.
    const empty = await cli(
      ['complete-step', second, '--step', 'create-service', '--client-id', service.clientId],
      {
        input: '',
      },
    );
    assert.equal(empty.code, 2, describeRun(empty));
    assert.match(empty.stderr, /^secret: /m);
    // Without --client-id the service step cannot be checked.
    const noId = await cli(['complete-step', second, '--step', 'create-service'], { input: 'x' });
    assert.equal(noId.code, 2, describeRun(noId));
    assert.match(noId.stderr, /^client-id: required/m);
    assert.equal((await statusOf(second)).phase, 'awaiting-operator', 'none of that changed anything');

    const piped = await cli(
      ['complete-step', second, '--step', 'create-service', '--client-id', service.clientId, '--json'],
      { input: `${service.clientSecret}\n` },
    );
    assert.equal(piped.code, 0, describeRun(piped));
    assert.equal((oneJson(piped) as { verified: boolean }).verified, true);
    const active = await statusWhen(second, (s) => s.phase === 'active', 'the second lifecycle to be active');
    assert.equal(active.clientId, service.clientId);
  });

  it('no secret was ever printed, and the product never used the operator-only endpoints', () => {
    assert.ok(runs.length >= 12, `${runs.length} CLI runs`);
    assert.equal(secrets.length, 2);
    for (const secret of secrets) {
      for (const run of runs) {
        assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), describeRun(run));
      }
      assert.ok(!up!.stdout().includes(secret) && !up!.stderr().includes(secret), 'not in up output');
      const log = fs.readFileSync(path.join(dataDir, 'notifications.log'), 'utf8');
      assert.ok(!log.includes(secret), 'not in notifications');
    }
    assert.equal(sandbox.snapshot().counters.forbiddenSandboxCalls, 0);
  });
});
