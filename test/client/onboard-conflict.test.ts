/**
 * Onboarding an email whose lifecycle runs: the same request is an idempotent success, a different one is a
 * conflict that names each differing field and changes nothing (client API: LifecycleConflictError; CLI:
 * exit 3). Against an in-process embedded stack (dev server, sandbox, worker), the CLI as a subprocess.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { extend, LifecycleConflictError, onboard, status, type OnboardInput } from '../../src';
import { startEmbeddedStack, type EmbeddedStack } from '../../src/app/embedded';
import {
  cliEnv,
  describeRun,
  errorJsonSchema,
  freePorts,
  inPairs,
  killAll,
  oneJson,
  removeDir,
  runCli,
  tempDir,
} from '../cli/support';

const DAY = 86_400_000;

describe('re-onboarding a running lifecycle (embedded stack)', () => {
  let stack: EmbeddedStack;
  let dataDir: string;
  let opts: { dataDir: string };
  const stamp = Date.now().toString(36);
  const email = `conflict-${stamp}@example.com`;
  const roleName = `Conflict Role ${stamp}`;
  const input: OnboardInput = {
    email,
    firstName: 'Con',
    lastName: 'Flict',
    role: { name: roleName, permissions: ['Read-Only Lead', 'Read-Only Activity'] },
    expiresIn: '10d',
    reason: 'CONFLICT-1',
  };
  const userOf = () => stack.sandbox!.snapshot().users.find((u) => u.emailAddress === email);

  before(async () => {
    for (const key of Object.keys(process.env)) {
      if (/^(MARKETO_|TEMPORAL_)/.test(key) && key !== 'MARKETO_API_USERS_CACHE_DIR') delete process.env[key];
    }
    const [temporalPort, uiPort, sandboxPort] = await freePorts(3);
    dataDir = tempDir('conflict');
    stack = await startEmbeddedStack({ dataDir, temporalPort, uiPort, sandboxPort, env: cliEnv() });
    opts = { dataDir };
  });

  after(async () => {
    await killAll();
    await stack?.stop();
    removeDir(dataDir);
  });

  it('the same request again is found (exit 0 / started: false), whatever the order of the permissions', async () => {
    const first = await onboard(input, opts);
    assert.equal(first.started, true);
    assert.equal(first.phase, 'active');
    const again = await onboard(
      { ...input, role: { name: roleName, permissions: ['Read-Only Activity', 'Read-Only Lead'] } },
      opts,
    );
    assert.deepEqual(again, { ...first, started: false });
    // Marketo's newer spelling of the same permission, as the lifecycle itself compares roles.
    const respelled = await onboard(
      { ...input, role: { name: roleName, permissions: ['Read-Only Activity', 'Read-Only Person'] } },
      opts,
    );
    assert.deepEqual(respelled, { ...first, started: false });
    // Optional parts left out are not asked for, so they cannot differ.
    const bare = await onboard(
      { email, firstName: 'Con', lastName: 'Flict', role: { name: roleName }, expiresIn: '10d' },
      opts,
    );
    assert.equal(bare.started, false);
  });

  it('other names, role, permissions or expiry: LifecycleConflictError naming each field, nothing changed', async () => {
    const before = await status(email, opts);
    const userBefore = userOf();
    const outcome = await onboard(
      {
        ...input,
        firstName: 'Other',
        role: { name: 'Another Role', permissions: ['Read-Write Lead'] },
        expiresIn: '20d',
      },
      opts,
    ).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    assert.ok(
      'error' in outcome,
      `a re-onboarding with other settings was accepted: ${JSON.stringify(outcome)}`,
    );
    const error = outcome.error;
    assert.ok(error instanceof LifecycleConflictError, String(error));
    assert.deepEqual(
      error.differences.map((d) => d.field),
      ['firstName', 'role.name', 'role.permissions', 'expiresIn'],
    );
    assert.deepEqual(error.differences[0], { field: 'firstName', running: '"Con"', requested: '"Other"' });
    assert.deepEqual(error.differences[3], { field: 'expiresIn', running: '10d', requested: '20d' });
    assert.match(error.hint, /extend/);
    assert.match(error.message, /firstName: the running lifecycle has "Con", this request asks for "Other"/);
    const now = await status(email, opts);
    assert.deepEqual(now, before, 'the lifecycle is unchanged');
    assert.deepEqual(userOf(), userBefore, 'the Marketo user is unchanged');
  });

  it('after an extension, the original request and the current expiry both still match', async () => {
    const extended = await extend(email, { by: '1d' }, opts);
    assert.equal((await onboard(input, opts)).started, false);
    const atCurrent = await onboard({ ...input, expiresIn: undefined, expiresAt: extended.expiresAt }, opts);
    assert.equal(atCurrent.expiresAt, extended.expiresAt);
    const elsewhere = new Date(Date.parse(extended.expiresAt) + DAY).toISOString();
    await assert.rejects(
      onboard({ ...input, expiresIn: undefined, expiresAt: elsewhere }, opts),
      (e: unknown) =>
        e instanceof LifecycleConflictError &&
        e.differences.length === 1 &&
        e.differences[0]!.field === 'expiresAt' &&
        e.differences[0]!.running === extended.expiresAt,
    );
  });

  it('the CLI exits 3 with one line per difference in flag words, and 0 for the same request', async () => {
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const args = (lastName: string) => [
      'onboard',
      '--email',
      email,
      '--first-name',
      'Con',
      '--last-name',
      lastName,
      '--role',
      roleName,
      '--expires-in',
      '10d',
    ];
    const [same, other, otherJson] = await inPairs([
      () => runCli(args('Flict'), { env }),
      () => runCli([...args('Other'), '--reason', 'CONFLICT-2'], { env }),
      () => runCli([...args('Other'), '--json'], { env }),
    ]);
    assert.equal(same!.code, 0, describeRun(same!));
    assert.match(same!.stdout, /^Found the lifecycle of /m);
    assert.equal(other!.code, 3, describeRun(other!));
    assert.equal(other!.stdout, '');
    assert.deepEqual(other!.stderr.trimEnd().split('\n'), [
      `error: conflict: a lifecycle of ${email} already runs with other settings; nothing was changed`,
      'last-name: the running lifecycle has "Flict", this request asks for "Other"',
      'reason: the running lifecycle has "CONFLICT-1", this request asks for "CONFLICT-2"',
      'hint: to move the expiry use `extend`; to change the owner or ticket, `reassign`; to change anything else, `revoke` the lifecycle and onboard again',
    ]);
    assert.equal(otherJson!.code, 3, describeRun(otherJson!));
    assert.deepEqual(errorJsonSchema.parse(oneJson(otherJson!)), {
      error: 'conflict',
      problems: ['last-name: the running lifecycle has "Flict", this request asks for "Other"'],
      hint: 'to move the expiry use `extend`; to change the owner or ticket, `reassign`; to change anything else, `revoke` the lifecycle and onboard again',
    });
    assert.equal(userOf()?.lastName, 'Flict');
  });
});
