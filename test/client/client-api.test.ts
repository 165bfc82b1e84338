/**
 * The client API as a pipeline uses it (`import { onboard, ... } from 'marketo-api-users'`), against the
 * embedded stack started in-process: typed inputs, zod problems as InputError before anything is created,
 * and the same answers as the CLI gives for the same lifecycle.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  extend,
  InputError,
  LifecycleNotFoundError,
  LifecycleRefusedError,
  list,
  onboard,
  revoke,
  status,
  TemporalUnavailableError,
  type OnboardInput,
  type OnboardResult,
} from '../../src';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/app/embedded';
import {
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  onboardJsonSchema,
  oneJson,
  removeDir,
  runCli,
  statusJsonSchema,
  tempDir,
} from '../cli/support';

const DAY = 86_400_000;

describe('client API (src/index.ts) against an in-process embedded stack', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  let stale: string;
  let opts: { dataDir: string };
  const stamp = Date.now().toString(36);
  const email = `api-${stamp}@example.com`;
  const input: OnboardInput = {
    email,
    firstName: 'Api',
    lastName: 'Pipeline',
    role: { name: `API Role ${stamp}`, permissions: ['Read-Only Lead'], workspace: 0 },
    expiresIn: '10d',
    reason: 'PIPE-7',
    service: { displayName: `Pipeline ${stamp}` },
  };
  let first: OnboardResult;
  const sandboxUsers = () => stack.sandbox!.snapshot().users;
  const userOf = (mail: string) => sandboxUsers().find((u) => u.emailAddress === mail);

  before(async () => {
    // Only this folder decides where things are: no stray Temporal or Marketo settings of the shell.
    for (const key of Object.keys(process.env)) {
      if (
        /^(MARKETO_|TEMPORAL_ADDRESS|TEMPORAL_CONFIG_FILE|TEMPORAL_PROFILE|TEMPORAL_NAMESPACE|TEMPORAL_API_KEY|TEMPORAL_TLS)/.test(
          key,
        ) &&
        key !== 'MARKETO_API_USERS_CACHE_DIR'
      ) {
        delete process.env[key];
      }
    }
    const [temporalPort, uiPort, sandboxPort, closedPort] = await freePorts(4);
    dataDir = tempDir('api');
    stale = tempDir('api-stale');
    stack = await startEmbeddedStack({ dataDir, temporalPort, uiPort, sandboxPort, env: cliEnv() });
    opts = { dataDir };
    fs.writeFileSync(
      path.join(stale, 'stack.json'),
      JSON.stringify({ ...stack.stack, temporalAddress: `127.0.0.1:${closedPort}` }),
    );
  });

  after(async () => {
    await killAll();
    await stack?.stop();
    removeDir(dataDir);
    removeDir(stale);
  });

  it('onboard returns the lifecycle, and the sandbox has its user and service', async () => {
    const startedAt = Date.now();
    first = await onboard(input, opts);
    assert.equal(first.started, true);
    assert.equal(first.phase, 'active');
    assert.equal(first.email, email);
    assert.equal(first.userId, email);
    assert.equal(first.failure, null);
    assert.equal(first.pendingOperatorAction, null);
    const expiresAt = Date.parse(first.expiresAt);
    // Expiries are rounded up to the whole second Marketo keeps: up to a second past "now + 10 days".
    const finishedAt = Date.now();
    assert.ok(
      expiresAt >= startedAt + 10 * DAY && expiresAt < finishedAt + 10 * DAY + 1000,
      `${first.expiresAt} is 10 days after the call (${new Date(startedAt).toISOString()} to ${new Date(finishedAt).toISOString()})`,
    );
    const user = userOf(email);
    assert.ok(user);
    assert.equal(user.apiOnly, true);
    assert.deepEqual(user.services, [first.clientId]);
    assert.deepEqual(
      user.userRoleWorkspaces.map((r) => r.accessRoleId),
      [first.roleId],
    );
    const service = stack.sandbox!.snapshot().services.find((s) => s.clientId === first.clientId);
    assert.equal(service?.displayName, `Pipeline ${stamp}`);
    assert.equal(
      stack.sandbox!.snapshot().roles.find((r) => r.id === first.roleId)?.name,
      `API Role ${stamp}`,
    );

    const again = await onboard({ ...input, email: email.toUpperCase() }, opts);
    assert.deepEqual(
      { ...again, started: true },
      first,
      'the same lifecycle, found (email case does not matter)',
    );
    assert.equal(again.started, false);
    assert.equal(sandboxUsers().filter((u) => u.emailAddress === email).length, 1);
  });

  it('answers exactly as the CLI does for the same lifecycle', async () => {
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const cliArgs = [
      'onboard',
      '--email',
      email,
      '--first-name',
      'Api',
      '--last-name',
      'Pipeline',
      '--role',
      `API Role ${stamp}`,
      '--expires-in',
      '10d',
      '--json',
    ];
    const [onboardRun, statusRun] = await Promise.all([
      runCli(cliArgs, { env }),
      runCli(['status', email, '--json'], { env }),
    ]);
    assert.equal(onboardRun.code, 0, describeRun(onboardRun));
    assert.deepEqual(onboardJsonSchema.parse(oneJson(onboardRun)), { ...first, started: false });
    assert.equal(statusRun.code, 0, describeRun(statusRun));
    assert.deepEqual(statusJsonSchema.parse(oneJson(statusRun)), await status(email, opts));
  });

  it('bad input raises InputError with `field: problem` lines and creates nothing', async () => {
    const usersBefore = sandboxUsers().length;
    const rolesBefore = stack.sandbox!.snapshot().roles.length;
    const lifecyclesBefore = (await list(opts)).length;
    const bad = (tag: string) => `api-bad-${tag}-${stamp}@example.com`;
    const cases: { label: string; call: () => Promise<unknown>; problem: RegExp }[] = [
      {
        label: 'homoglyph email',
        call: () => onboard({ ...input, email: `api-bad-\u0430-${stamp}@example.com` }, opts),
        problem: /^email: .*look-alike/,
      },
      {
        label: 'malformed expiresIn',
        call: () => onboard({ ...input, email: bad('in'), expiresIn: '3x' }, opts),
        problem: /^expiresIn: must be a duration/,
      },
      {
        label: 'both expiresIn and expiresAt',
        call: () => onboard({ ...input, email: bad('both'), expiresAt: '2030-01-01T00:00:00Z' }, opts),
        problem: /^expiresAt: give exactly one/,
      },
      {
        label: 'expiresAt without a zone',
        call: () =>
          onboard(
            { ...input, email: bad('zone'), expiresIn: undefined, expiresAt: '2030-01-01T00:00:00' },
            opts,
          ),
        problem: /^expiresAt: must be an ISO-8601/,
      },
      {
        label: 'expiry in the past',
        call: () =>
          onboard(
            { ...input, email: bad('past'), expiresIn: undefined, expiresAt: '2020-01-01T00:00:00Z' },
            opts,
          ),
        problem: /^expiresAt: must be in the future/,
      },
      {
        label: 'past the maximum lifetime',
        call: () => onboard({ ...input, email: bad('max'), expiresIn: '400d' }, opts),
        problem: /^expiresAt: must be within the maximum lifetime/,
      },
      {
        label: 'unknown permission',
        call: () =>
          onboard(
            { ...input, email: bad('perm'), role: { name: 'X', permissions: ['Fly To The Moon' as never] } },
            opts,
          ),
        problem: /^role\.permissions\.0: /,
      },
      {
        label: 'unknown key',
        call: () => onboard({ ...input, email: bad('key'), admin: true } as OnboardInput, opts),
        problem: /admin/,
      },
      {
        label: 'markup in a name',
        call: () => onboard({ ...input, email: bad('markup'), lastName: '<script>' }, opts),
        problem: /^lastName: must not contain/,
      },
      {
        label: 'extend with nothing',
        call: () => extend(email, {}, opts),
        problem: /^expiresAt: give exactly one/,
      },
      { label: 'extend by 3x', call: () => extend(email, { by: '3x' }, opts), problem: /^by: / },
      {
        label: 'revoke with markup in the reason',
        call: () => revoke(email, { reason: 'a <b> c' }, opts),
        problem: /^reason: must not contain/,
      },
      {
        label: 'status of a non-email',
        call: () => status('nope', opts),
        problem: /must be a plain ASCII email/,
      },
    ];
    for (const c of cases) {
      const error = await c.call().then(
        () => assert.fail(`${c.label}: accepted`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InputError, `${c.label}: ${String(error)}`);
      assert.ok(error.problems.length > 0);
      for (const p of error.problems) assert.match(p, /^[\w.]+: \S/, `${c.label}: ${p}`);
      assert.ok(
        error.problems.some((p) => c.problem.test(p)),
        `${c.label}: ${error.problems.join(' | ')}`,
      );
    }
    assert.equal(sandboxUsers().length, usersBefore, 'no user was created');
    assert.equal(stack.sandbox!.snapshot().roles.length, rolesBefore, 'no role was created');
    assert.equal((await list(opts)).length, lifecyclesBefore, 'no lifecycle was started');
    const current = await status(email, opts);
    assert.equal(current.extensions, 0);
    assert.equal(current.phase, 'active');
  });

  it('extend moves the expiry (workflow and Marketo); an earlier date is refused and changes nothing', async () => {
    const extended = await extend(email, { by: '2d' }, opts);
    const expected = new Date(Date.parse(first.expiresAt) + 2 * DAY).toISOString();
    assert.equal(extended.expiresAt, expected);
    assert.equal(extended.extensions, 1);
    assert.equal(extended.workflowId, first.workflowId);
    assert.ok(Math.abs(Date.parse(userOf(email)?.expiresAt ?? '') - Date.parse(expected)) < 1000);

    const target = new Date(Date.parse(expected) + DAY).toISOString();
    const atDate = await extend(email, { expiresAt: target }, opts);
    assert.equal(atDate.expiresAt, target);
    assert.equal(atDate.extensions, 2);

    await assert.rejects(
      extend(email, { expiresAt: first.expiresAt }, opts),
      (e: unknown) => e instanceof LifecycleRefusedError && /^expiresAt: must be later/.test(e.message),
    );
    assert.ok(Math.abs(Date.parse(userOf(email)?.expiresAt ?? '') - Date.parse(target)) < 1000);
    assert.equal((await status(email, opts)).extensions, 2);
  });

  it('status and revoke of an unknown email raise LifecycleNotFoundError; a dead Temporal, TemporalUnavailableError', async () => {
    const unknown = `api-nobody-${stamp}@example.com`;
    await assert.rejects(status(unknown, opts), LifecycleNotFoundError);
    await assert.rejects(revoke(unknown, {}, opts), LifecycleNotFoundError);
    await assert.rejects(
      status(email, { dataDir: stale }),
      (e: unknown) => e instanceof TemporalUnavailableError && /No Temporal server answers/.test(e.message),
    );
  });

  it('revoke deactivates at once, locks the user in Marketo, and list shows it', async () => {
    const revoked = await revoke(email, { reason: 'pipeline teardown' }, opts);
    assert.equal(revoked.phase, 'deactivated');
    assert.equal(revoked.deactivation?.cause, 'revoked');
    assert.equal(revoked.deactivation?.reason, 'pipeline teardown');
    assert.equal(userOf(email)?.isLocked, true);
    const listed = (await list(opts)).find((l) => l.email === email);
    assert.equal(listed?.workflowId, first.workflowId);
    assert.equal(listed?.phase, 'deactivated');
    assert.equal(listed?.expiresAt, revoked.expiresAt);
  });

  it('revoking an ended lifecycle returns its status unchanged', async () => {
    const again = await revoke(email, {}, opts);
    assert.equal(again.phase, 'deactivated');
    assert.equal(again.deactivation?.reason, 'pipeline teardown');
  });
});
