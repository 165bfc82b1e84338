/**
 * `up` stopped and started again on the same folder keeps everything: the workflow and its pending expiry
 * timer (Temporal's SQLite file), the sandbox's users and admin credentials (its state file), and the keys
 * (payload codec and workflow ids). The timer set before the restart fires after it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { storedSecret } from '../helpers/stored-secrets';
import {
  cliEnv,
  describeRun,
  eventually,
  freePorts,
  killAll,
  onboardJsonSchema,
  oneJson,
  processesMentioning,
  removeDir,
  runCli,
  sandboxUser,
  startUp,
  statusJsonSchema,
  tempDir,
  type OnboardJson,
  type UpProcess,
} from '../cli/support';

/** The shortest access the CLI grants (its floor is a minute): the timer must outlive the restart. */
const LIFETIME_S = 60;

describe('`up` restarted on the same folder', () => {
  let dataDir: string;
  let ports: number[];
  let env: NodeJS.ProcessEnv;
  const ups: UpProcess[] = [];
  const cli = (...args: string[]) => runCli(args, { env });
  const email = `restart-${Date.now().toString(36)}@example.com`;

  before(async () => {
    ports = await freePorts(3);
    dataDir = tempDir('restart');
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
  });

  after(async () => {
    for (const up of ups) await up.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  const startHere = async () => {
    const up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    ups.push(up);
    return up;
  };

  it('keeps the lifecycle, the sandbox and the keys, and the expiry timer still fires', async () => {
    const first = await startHere();
    const sandboxUrl = first.info.sandboxUrl!;
    const onboardRun = await cli(
      'onboard',
      '--email',
      email,
      '--first-name',
      'Restart',
      '--last-name',
      'Test',
      '--role',
      'Restart Role',
      '--permissions',
      'Read-Only Lead',
      '--expires-in',
      `${LIFETIME_S}s`,
      '--json',
    );
    assert.equal(onboardRun.code, 0, describeRun(onboardRun));
    const onboarded: OnboardJson = onboardJsonSchema.parse(oneJson(onboardRun));
    assert.equal(onboarded.phase, 'active');
    assert.equal(onboarded.started, true);
    const expiresAt = Date.parse(onboarded.expiresAt);
    const userBefore = await sandboxUser(sandboxUrl, email);
    assert.ok(userBefore && !userBefore.isLocked);
    assert.deepEqual(userBefore.services, [onboarded.clientId]);
    assert.equal(first.info.store, 'embedded');
    const secretBefore = await storedSecret(dataDir, onboarded.secretRef!);
    assert.equal(
      secretBefore?.clientId,
      onboarded.clientId,
      'the client secret is in the store while active',
    );

    // ---- stop: SIGTERM, exit 0, nothing left behind ----
    const dbPath = path.join(path.resolve(dataDir), 'temporal.db');
    assert.equal((await processesMentioning(dbPath)).length, 1, 'one Temporal server on this folder');
    const stopped = await first.stop();
    assert.deepEqual(stopped, { code: 0, signal: null }, first.stderr());
    assert.deepEqual(await processesMentioning(dbPath), [], 'the Temporal dev server stopped with `up`');
    assert.ok(!fs.existsSync(path.join(dataDir, 'stack.json')), 'stack.json is removed on a clean stop');
    assert.ok(fs.existsSync(dbPath) && fs.existsSync(path.join(dataDir, 'sandbox.json')));
    await assert.rejects(fetch(`${sandboxUrl}/sandbox/state`), 'the sandbox stopped too');

    // While it is down, commands say what to start.
    const down = await cli('status', email);
    assert.equal(down.code, 1, describeRun(down));
    assert.match(down.stderr, /`up`/);

    // ---- start again: same folder, same ports ----
    const second = await startHere();
    assert.equal(second.info.adminClientId, first.info.adminClientId, 'sandbox admin credentials kept');
    assert.equal(second.info.adminClientSecret, first.info.adminClientSecret);
    assert.equal(second.info.sandboxUrl, sandboxUrl);
    const restartedAt = Date.now();
    assert.deepEqual(
      await storedSecret(dataDir, onboarded.secretRef!),
      secretBefore,
      'the embedded database kept the secret across the restart',
    );

    const statusRun = await cli('status', email, '--json');
    assert.equal(statusRun.code, 0, describeRun(statusRun));
    const status = statusJsonSchema.parse(oneJson(statusRun));
    assert.equal(status.workflowId, onboarded.workflowId, 'same workflow id: the id key was kept');
    assert.equal(status.clientId, onboarded.clientId);
    assert.equal(status.roleId, onboarded.roleId);
    assert.equal(status.expiresAt, onboarded.expiresAt);
    assert.equal(status.phase, 'active');
    assert.ok(
      Date.now() < expiresAt,
      `the test is only meaningful if the expiry is still ahead after the restart (${expiresAt - Date.now()} ms)`,
    );
    const userAfterRestart = await sandboxUser(sandboxUrl, email);
    assert.equal(userAfterRestart?.id, userBefore.id, 'the sandbox kept its users');
    assert.deepEqual(userAfterRestart.services, [onboarded.clientId]);
    assert.equal(userAfterRestart.isLocked, false);

    // ---- the timer set before the restart fires after it ----
    await eventually(
      async () => ((await sandboxUser(sandboxUrl, email))?.isLocked ? true : undefined),
      expiresAt - Date.now() + 15_000,
      'the sandbox user to be locked',
      500,
    );
    const ended = await eventually(
      async () => {
        const run = await cli('status', email, '--json');
        assert.equal(run.code, 0, describeRun(run));
        const s = statusJsonSchema.parse(oneJson(run));
        return s.phase === 'deactivated' ? s : undefined;
      },
      20_000,
      'the lifecycle to be deactivated by its timer',
      500,
    );
    assert.equal(ended.deactivation?.cause, 'expired');
    const endedAt = Date.parse(ended.deactivation?.at ?? '');
    assert.ok(endedAt >= expiresAt, 'not before the expiry');
    assert.ok(endedAt >= restartedAt - 1000, 'by the restarted worker');
    assert.ok(
      ended.timeline.some((e) => e.event === 'deactivating' && e.detail === 'expired'),
      JSON.stringify(ended.timeline),
    );
    const locked = await sandboxUser(sandboxUrl, email);
    assert.equal(locked?.isLocked, true);
    assert.equal(locked.lockedReason, 'Access expired');
    assert.equal(
      await storedSecret(dataDir, onboarded.secretRef!),
      undefined,
      'the deactivation deleted the stored secret',
    );
    const notifications = fs.readFileSync(second.info.notificationsFile, 'utf8');
    assert.match(notifications, /"kind":"deactivated"/);

    const last = await second.stop();
    assert.deepEqual(last, { code: 0, signal: null }, second.stderr());
    assert.deepEqual(await processesMentioning(dbPath), []);
  });
});
