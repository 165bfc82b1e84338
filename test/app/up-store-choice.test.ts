/**
 * Which store `up` runs on, and moving a running deployment from one to the other: a folder is never started on
 * another store than the one holding its data (exit 2, nothing started, the hint names the way on), and a
 * deployment on the file store (`up --store file`) moves into the embedded database with `move-store`, after
 * which `up` (the default) hands over the same credentials.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { hasEmbeddedDatabase } from '../../src/store/embedded-location';
import { FileStore } from '../../src/store/file-store';
import {
  auditEventsOf,
  cliEnv,
  describeRun,
  freePorts,
  killAll,
  oneJson,
  removeDir,
  runCli,
  startUp,
  tempDir,
  upArgsOnFreePorts,
  type UpProcess,
} from '../cli/support';

const credentialsSchema = z.object({ clientId: z.string(), clientSecret: z.string() }).passthrough();

describe('up and its store', () => {
  const dirs: string[] = [];
  const ups: UpProcess[] = [];
  const folder = (name: string) => {
    const dir = tempDir(`store-${name}`);
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const up of ups) await up.stop().catch(() => undefined);
    await killAll();
    for (const dir of dirs) removeDir(dir);
  });

  it('refuses a folder whose data is in the other store, and bad --store values, before starting anything', async () => {
    const files = folder('files');
    await new FileStore({ dataDir: files, secretDir: path.join(files, 'secrets') }).audit.append({
      id: 'wf-1/onboarded',
      at: '2026-12-01T09:00:00.000Z',
      kind: 'onboarded',
      email: 'a@x.com',
      workflowId: 'wf-1',
      actor: 'ada',
      reason: null,
      detail: {},
    });
    const onFiles = await runCli(await upArgsOnFreePorts(files), { env: cliEnv() });
    assert.equal(onFiles.code, 2, describeRun(onFiles));
    assert.match(onFiles.stderr, /^error: .* keeps its secrets and audit log in files/m);
    assert.match(onFiles.stderr, /^hint: .*`up --store file`.*`marketo-api-users move-store --data-dir /m);
    assert.ok(!hasEmbeddedDatabase(files), 'no database was made');
    assert.ok(!fs.existsSync(path.join(files, 'temporal.db')), 'no Temporal server was started');

    const bogus = await runCli([...(await upArgsOnFreePorts(files)), '--store', 'sqlite'], { env: cliEnv() });
    assert.equal(bogus.code, 2, describeRun(bogus));
    assert.match(bogus.stderr, /--store: must be embedded or file/);

    const withUrl = await runCli([...(await upArgsOnFreePorts(files)), '--store', 'file'], {
      env: cliEnv({ MARKETO_API_USERS_DATABASE_URL: 'postgres://u@127.0.0.1:1/db' }),
    });
    assert.equal(withUrl.code, 2, describeRun(withUrl));
    assert.match(
      withUrl.stderr,
      /--store file was given, but MARKETO_API_USERS_DATABASE_URL names the store/,
    );
  });

  it('a deployment on the file store moves into the embedded database and `up` hands over the same credentials', async () => {
    const dataDir = folder('move');
    const env = cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir });
    const [port, uiPort, sandboxPort] = await freePorts(3);
    const ports = { dataDir, port: port!, uiPort: uiPort!, sandboxPort: sandboxPort!, env };
    const onFiles = await startUp({ ...ports, store: 'file' });
    ups.push(onFiles);
    assert.equal(onFiles.info.store, 'file');
    const onboard = await runCli(
      [
        'onboard',
        '--email',
        'mover@example.com',
        '--first-name',
        'M',
        '--last-name',
        'V',
        '--role',
        'Mover',
        '--permissions',
        'Read-Only Lead',
        '--expires-in',
        '1d',
        '--json',
      ],
      { env },
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    const before = await runCli(['credentials', 'mover@example.com', '--json'], { env });
    assert.equal(before.code, 0, describeRun(before));
    const handed = credentialsSchema.parse(oneJson(before));
    assert.ok(fs.readdirSync(path.join(dataDir, 'secrets')).length > 0, 'the secret is in a file');

    const stopped = await onFiles.stop();
    assert.deepEqual(stopped, { code: 0, signal: null });
    const moved = await runCli(['move-store', '--json'], { env });
    assert.equal(moved.code, 0, describeRun(moved));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'secrets')), [], 'no secret file is left');

    const onDatabase = await startUp(ports);
    ups.push(onDatabase);
    assert.equal(onDatabase.info.store, 'embedded');
    const after = await runCli(['credentials', 'mover@example.com', '--json'], { env });
    assert.equal(after.code, 0, describeRun(after));
    const again = credentialsSchema.parse(oneJson(after));
    assert.equal(again.clientId, handed.clientId);
    assert.equal(again.clientSecret, handed.clientSecret, 'the same secret, now from the embedded database');
    const audit = await runCli(['audit', '--email', 'mover@example.com', '--json'], { env });
    assert.equal(audit.code, 0, describeRun(audit));
    assert.deepEqual(
      auditEventsOf(audit).map((e) => e.kind),
      ['onboarded', 'credentials-read', 'credentials-read'],
      'the events of the file store came along, and the read after the move joined them',
    );
  });
});
