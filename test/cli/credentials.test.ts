/**
 * The hand-over, tried as a new user would against a running `up`: onboard, `credentials` gives a client id and
 * secret that obtain a token for that email, `revoke`, then `credentials` exits 1 saying so with no secret, and
 * `audit` lists what happened with who did it. The secret never reaches stdout of a run that writes a file, a
 * log or the audit log; --output writes 0600, never over a file without --force, never through a symlink.
 * `rotate --overlap 30s` hands over the new secret while the old one works, then the old one dies (401), and a
 * second rotate in the overlap is refused (exit 2) with the time it ends.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  auditEventsOf,
  cliEnv,
  describeRun,
  errorJsonSchema,
  eventually,
  freePorts,
  killAll,
  onboardJsonSchema,
  oneJson,
  removeDir,
  runCli,
  sandboxState,
  sleep,
  startUp,
  statusJsonSchema,
  tempDir,
  type CliRun,
  type UpProcess,
} from './support';

const credentialsJsonSchema = z
  .object({
    email: z.string(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    marketoBaseUrl: z.string().nullable(),
    expiresAt: z.string(),
    workflowId: z.string(),
    retiring: z
      .object({ clientId: z.string().min(1), endsAt: z.iso.datetime(), beingRetired: z.boolean() })
      .strict()
      .nullable(),
  })
  .strict();

describe('credentials and audit against a running `up`', () => {
  let dataDir: string;
  let outDir: string;
  let up: UpProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const runs: CliRun[] = [];
  const cli = async (...args: string[]) => {
    const run = await runCli(args, { env });
    runs.push(run);
    return run;
  };
  const stamp = Date.now().toString(36);
  const email = `handover-${stamp}@example.com`;
  let secret = '';
  let clientId = '';

  const token = (id: string, clientSecret: string) =>
    fetch(
      `${up!.info.sandboxUrl}/identity/oauth/token?${new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: clientSecret,
      }).toString()}`,
    );

  before(async () => {
    const ports = await freePorts(3);
    dataDir = tempDir('cred');
    outDir = tempDir('cred-out');
    up = await startUp({ dataDir, port: ports[0]!, uiPort: ports[1]!, sandboxPort: ports[2]! });
    env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const onboard = await cli(
      'onboard',
      ...['--email', email, '--first-name', 'Hand', '--last-name', 'Over', '--role', `Handover ${stamp}`],
      ...['--permissions', 'Read-Only Lead', '--expires-in', '30d', '--reason', 'TICKET-7'],
      ...['--actor', 'ada', '--json'],
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    assert.equal(onboardJsonSchema.parse(oneJson(onboard)).phase, 'active');
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
    removeDir(outDir);
  });

  it('credentials --json gives a client id and secret that get a token whose scope is the email', async () => {
    const run = await cli(
      'credentials',
      email,
      '--json',
      '--actor',
      'deploy-bot',
      '--reason',
      'first deploy',
    );
    assert.equal(run.code, 0, describeRun(run));
    const handed = credentialsJsonSchema.parse(oneJson(run));
    secret = handed.clientSecret;
    clientId = handed.clientId;
    assert.equal(handed.email, email);
    assert.equal(handed.marketoBaseUrl, up!.info.marketoBaseUrl);
    assert.equal(handed.retiring, null, 'no rotation, no old service');
    const answer = await token(clientId, secret);
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { scope?: string; access_token?: string };
    assert.ok(body.access_token);
    assert.equal(body.scope, email);
  });

  it('--format env (the default) and dotenv name the same credentials', async () => {
    const [plain, dotenv] = [
      await cli('credentials', email),
      await cli('credentials', email, '--format', 'dotenv'),
    ];
    assert.equal(plain.code, 0, describeRun(plain));
    assert.equal(
      plain.stdout,
      `export MARKETO_CLIENT_ID='${clientId}'\nexport MARKETO_CLIENT_SECRET='${secret}'\n` +
        `export MARKETO_BASE_URL='${up!.info.marketoBaseUrl}'\n`,
    );
    assert.equal(dotenv.code, 0, describeRun(dotenv));
    assert.match(dotenv.stdout, new RegExp(`^MARKETO_CLIENT_SECRET=${secret}$`, 'm'));
    assert.doesNotMatch(plain.stderr + dotenv.stderr, new RegExp(secret));
  });

  it('--output writes a new file 0600, and --json then prints no secret', async () => {
    const file = path.join(outDir, 'crm.json');
    const run = await cli('credentials', email, '--format', 'json', '--output', file, '--json');
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(credentialsJsonSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).clientSecret, secret);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), describeRun(run));
    assert.deepEqual(Object.keys(oneJson(run) as object).sort(), [
      'clientId',
      'email',
      'expiresAt',
      'file',
      'format',
    ]);
  });

  it('refuses to overwrite without --force; --force replaces the file atomically, still 0600', async () => {
    const file = path.join(outDir, 'existing.env');
    fs.writeFileSync(file, 'KEEP=1\n', { mode: 0o644 });
    const refused = await cli('credentials', email, '--output', file);
    assert.equal(refused.code, 1, describeRun(refused));
    assert.match(refused.stderr, /^error: .*exists; nothing was written/m);
    assert.match(refused.stderr, /^hint: .*--force/m);
    assert.equal(fs.readFileSync(file, 'utf8'), 'KEEP=1\n');
    const forced = await cli('credentials', email, '--format', 'dotenv', '--output', file, '--force');
    assert.equal(forced.code, 0, describeRun(forced));
    assert.match(fs.readFileSync(file, 'utf8'), new RegExp(`^MARKETO_CLIENT_SECRET=${secret}$`, 'm'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      fs.readdirSync(outDir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temp file left',
    );
  });

  it('refuses a symlink at --output, with or without --force, and writes nothing through it', async () => {
    const target = path.join(outDir, 'target.txt');
    fs.writeFileSync(target, '');
    const link = path.join(outDir, 'link.env');
    fs.symlinkSync(target, link);
    for (const extra of [[], ['--force']]) {
      const run = await cli('credentials', email, '--output', link, ...extra);
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /symbolic link/);
      assert.equal(fs.readFileSync(target, 'utf8'), '');
      assert.ok(fs.lstatSync(link).isSymbolicLink());
    }
  });

  it('rotate --overlap 30s: both secrets get tokens in the overlap and credentials hands over the new one; after it the old gets 401, one service is left, and status and audit say when the old one died', async () => {
    const rotating = `rotate-${stamp}@example.com`;
    const onboard = await cli(
      'onboard',
      ...['--email', rotating, '--first-name', 'Ro', '--last-name', 'Tate', '--role', `Rotate ${stamp}`],
      ...['--permissions', 'Read-Only Lead', '--expires-in', '30d', '--json'],
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    const old = credentialsJsonSchema.parse(oneJson(await cli('credentials', rotating, '--json')));

    const rotate = await cli(
      'rotate',
      rotating,
      '--overlap',
      '30s',
      '--actor',
      'ada',
      '--reason',
      'quarterly',
      '--json',
    );
    assert.equal(rotate.code, 0, describeRun(rotate));
    const rotated = statusJsonSchema.parse(oneJson(rotate));
    assert.equal(rotated.rotation?.stage, 'overlap');
    assert.equal(rotated.rotation.retiring.clientId, old.clientId);
    const endsAt = rotated.rotation.overlapEndsAt!;

    // The 30 seconds of the overlap hold every check until the sleep below; the refusal needs it most.
    const again = await cli('rotate', rotating, '--overlap', '30s');
    assert.equal(again.code, 2, describeRun(again));
    assert.match(again.stderr, /^error: refused: Rotation 1 is in progress \(overlap\)/m);
    assert.ok(again.stderr.includes(`its overlap ends at ${endsAt}`), again.stderr);
    const fresh = credentialsJsonSchema.parse(oneJson(await cli('credentials', rotating, '--json')));
    assert.equal(fresh.clientId, rotated.clientId);
    assert.notEqual(fresh.clientId, old.clientId, 'credentials hands over the new service');
    assert.deepEqual(fresh.retiring, { clientId: old.clientId, endsAt, beingRetired: false });
    const plain = await cli('credentials', rotating);
    assert.equal(plain.code, 0, describeRun(plain));
    assert.match(plain.stdout, new RegExp(`^export MARKETO_CLIENT_ID='${fresh.clientId}'$`, 'm'));
    assert.ok(plain.stderr.includes(`the old client id ${old.clientId} works until ${endsAt}`), plain.stderr);
    assert.equal(
      (await token(old.clientId, old.clientSecret)).status,
      200,
      'the old one works in the overlap',
    );
    assert.equal((await token(fresh.clientId, fresh.clientSecret)).status, 200, 'the new one works');

    const during = await cli('status', rotating);
    assert.ok(during.stdout.includes(`old:      ${old.clientId} (works until ${endsAt})`), during.stdout);
    assert.ok(
      Date.now() < Date.parse(endsAt),
      'the checks above ran within the overlap (a machine too slow?)',
    );

    await sleep(Math.max(0, Date.parse(endsAt) - Date.now()));
    const statusNow = async () => statusJsonSchema.parse(oneJson(await cli('status', rotating, '--json')));
    const done = await eventually(
      async () => {
        const status = await statusNow();
        return status.lastRotation?.outcome === 'completed' ? status : undefined;
      },
      60_000,
      'the old service proven dead',
      1000,
    );
    const diedAt = done.lastRotation!.oldDeadAt!;
    assert.ok(Date.parse(diedAt) >= Date.parse(endsAt), 'not before the overlap ended');
    assert.equal((await token(old.clientId, old.clientSecret)).status, 401, 'the old one is refused');
    assert.equal((await token(fresh.clientId, fresh.clientSecret)).status, 200, 'the new one still works');
    const sandboxUrl = up!.info.sandboxUrl;
    assert.ok(sandboxUrl, 'up runs its sandbox');
    const services = (await sandboxState(sandboxUrl)).services.filter((s) => s.ownerEmail === rotating);
    assert.deepEqual(
      services.map((s) => s.clientId),
      [fresh.clientId],
      'one service left for the user',
    );

    const after = await cli('status', rotating);
    assert.ok(
      after.stdout.includes(
        `last rotation: 1 completed at ${diedAt}: old client id ${old.clientId} refused a token`,
      ),
      after.stdout,
    );
    assert.match(after.stdout, new RegExp(`^  ${diedAt}  old credentials dead: ${old.clientId}`, 'm'));
    const audit = await cli('audit', '--email', rotating, '--json');
    assert.equal(audit.code, 0, describeRun(audit));
    const events = auditEventsOf(audit);
    const rotatedEvent = events.find((e) => e.kind === 'rotated');
    assert.deepEqual(rotatedEvent && [rotatedEvent.actor, rotatedEvent.reason], ['ada', 'quarterly']);
    assert.equal(rotatedEvent?.detail.oldEndsAt, endsAt);
    const retired = events.filter((e) => e.kind === 'rotation-retired');
    assert.deepEqual(
      retired.map((e) => [e.detail.oldClientId, e.detail.provenDeadAt, e.detail.clientId]),
      [[old.clientId, diedAt, fresh.clientId]],
    );
    for (const secretOf of [old.clientSecret, fresh.clientSecret]) {
      assert.ok(!audit.stdout.includes(secretOf), 'no secret in the audit log');
    }
  });

  it('after revoke: exit 1 saying it was revoked, no secret, and the old secret gets no token', async () => {
    const revoke = await cli('revoke', email, '--reason', 'vendor offboarded', '--actor', 'carol');
    assert.equal(revoke.code, 0, describeRun(revoke));
    const run = await cli('credentials', email);
    assert.equal(run.code, 1, describeRun(run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: The access of .* was revoked at .*\(vendor offboarded\)/m);
    assert.match(run.stderr, /^hint: /m);
    const json = await cli('credentials', email, '--json');
    assert.equal(json.code, 1);
    assert.match(errorJsonSchema.parse(oneJson(json)).error, /revoked/);
    assert.notEqual((await token(clientId, secret)).status, 200);
  });

  it('audit lists onboarding, the reads and the revocation with their actors, and never the secret', async () => {
    const run = await cli('audit', '--email', email, '--json');
    assert.equal(run.code, 0, describeRun(run));
    const events = auditEventsOf(run);
    const byKind = (kind: string) => events.filter((e) => e.kind === kind);
    assert.deepEqual(
      byKind('onboarded').map((e) => [e.actor, e.reason]),
      [['ada', 'TICKET-7']],
    );
    assert.deepEqual(
      byKind('revoked').map((e) => [e.actor, e.reason]),
      [['carol', 'vendor offboarded']],
    );
    const reads = byKind('credentials-read');
    assert.deepEqual(reads[0] && [reads[0].actor, reads[0].reason, reads[0].detail.outcome], [
      'deploy-bot',
      'first deploy',
      'handed over',
    ]);
    assert.equal(reads.at(-1)?.detail.outcome, 'refused: deactivated');
    const table = await cli('audit', '--email', email, '--kind', 'revoked');
    assert.equal(table.code, 0, describeRun(table));
    assert.match(table.stdout, /^AT +KIND +EMAIL +ACTOR +WHAT$/m);
    assert.match(table.stdout, /revoked +\S+ +carol +"vendor offboarded"/);
  });

  it('the secret is in no log: not the audit log, the notifications, nor up; the database files hold none', async () => {
    const audit = await cli('audit', '--json');
    assert.equal(audit.code, 0, describeRun(audit));
    assert.ok(auditEventsOf(audit).length > 0, 'the audit log has events');
    assert.ok(!audit.stdout.includes(secret), 'no audit event holds the secret');
    const notifications = fs.readFileSync(path.join(dataDir, 'notifications.log'), 'utf8');
    assert.ok(notifications.length > 0, 'notifications.log has lines');
    assert.ok(!notifications.includes(secret), 'notifications.log has no secret');
    // The embedded database keeps the secret under the keyring: no file of it (tables, WAL) has it in clear.
    const databaseFiles = fs.readdirSync(path.join(dataDir, 'database'), {
      recursive: true,
      withFileTypes: true,
    });
    const files = databaseFiles.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
    const holding = (text: string) =>
      files.filter((file) => fs.readFileSync(file).includes(Buffer.from(text)));
    // The scan sees what the rows hold: the client id is in the audit events' detail, in clear.
    assert.ok(holding(clientId).length > 0, 'the scan finds the client id of the audit rows');
    assert.deepEqual(holding(secret), [], 'no database file holds the secret in clear');
    assert.ok(!up!.stdout().includes(secret) && !up!.stderr().includes(secret));
    for (const run of runs) assert.ok(!run.stderr.includes(secret), describeRun(run));
  });
});
