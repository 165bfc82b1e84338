/**
 * MARKETO_API_USERS_DATABASE_URL puts `up`'s workers and the CLI on one PostgreSQL store: the secret a worker
 * stores is the one `credentials` hands over, nothing of it lands in the data folder or in clear in the
 * database, the audit log is read back from the database, and a CLI that is not told the URL refuses instead
 * of reading an empty store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { z } from 'zod';
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
  type UpProcess,
} from '../cli/support';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';

describe('a shared PostgreSQL store for up, its workers and the CLI', () => {
  let postgres: RealPostgres;
  let dataDir: string;
  let up: UpProcess | undefined;
  let env: NodeJS.ProcessEnv;
  const email = `shared-${Date.now().toString(36)}@example.com`;
  let secret = '';

  before(async () => {
    postgres = await startRealPostgres();
    dataDir = tempDir('shared-store');
    const [port, uiPort, sandboxPort] = await freePorts(3);
    const storeEnv = { MARKETO_API_USERS_DATABASE_URL: postgres.databaseUrl };
    up = await startUp({
      dataDir,
      port: port!,
      uiPort: uiPort!,
      sandboxPort: sandboxPort!,
      env: cliEnv(storeEnv),
    });
    env = cliEnv({ ...storeEnv, MARKETO_API_USERS_DATA_DIR: dataDir });
  });

  after(async () => {
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
    await postgres?.destroy();
  });

  it('onboard, then credentials reads the secret the worker stored in PostgreSQL', async () => {
    const onboard = await runCli(
      [
        ...['onboard', '--email', email, '--first-name', 'Sha', '--last-name', 'Red'],
        ...['--role', 'Shared store', '--permissions', 'Read-Only Lead', '--expires-in', '30d'],
        ...['--reason', 'TICKET-14', '--actor', 'ada', '--json'],
      ],
      { env },
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    const run = await runCli(['credentials', email, '--json', '--actor', 'deploy-bot'], { env });
    assert.equal(run.code, 0, describeRun(run));
    secret = z.object({ clientSecret: z.string().min(8) }).parse(oneJson(run)).clientSecret;
  });

  it('keeps no secret and no audit log in the data folder, and no secret in clear in the database', async () => {
    const files = fs.readdirSync(dataDir, { recursive: true, encoding: 'utf8' });
    assert.ok(!files.includes('audit.jsonl'), files.join(', '));
    const secretDir = path.join(dataDir, 'secrets');
    assert.ok(!fs.existsSync(secretDir) || fs.readdirSync(secretDir).length === 0, 'no secret file');
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, unknown>>('SELECT * FROM secrets');
      assert.equal(rows.length, 1, 'the one lifecycle secret');
      const dump = JSON.stringify(rows, (_key, value: unknown) =>
        Buffer.isBuffer(value) ? value.toString('latin1') : value,
      );
      assert.ok(secret.length > 0 && !dump.includes(secret), 'the secret is stored encrypted');
      const audit = await client.query<{ kind: string }>('SELECT kind FROM audit_events ORDER BY seq');
      assert.deepEqual(
        audit.rows.map((r) => r.kind).filter((k) => k === 'onboarded' || k === 'credentials-read'),
        ['onboarded', 'credentials-read'],
      );
    } finally {
      await client.end();
    }
  });

  it('audit reads the events back from the database, with their actors', async () => {
    const run = await runCli(['audit', '--email', email, '--json'], { env });
    assert.equal(run.code, 0, describeRun(run));
    const events = auditEventsOf(run);
    assert.deepEqual(
      events
        .filter((e) => e.kind === 'onboarded' || e.kind === 'credentials-read')
        .map((e) => [e.kind, e.actor]),
      [
        ['onboarded', 'ada'],
        ['credentials-read', 'deploy-bot'],
      ],
    );
    assert.ok(!run.stdout.includes(secret));
  });

  it('a CLI not told the URL refuses, naming the setting, and shows no secret', async () => {
    const withoutUrl = await runCli(['credentials', email, '--json'], {
      env: cliEnv({ MARKETO_API_USERS_DATA_DIR: dataDir }),
    });
    assert.notEqual(withoutUrl.code, 0);
    assert.match(withoutUrl.stderr, /keeps secrets and the audit log in PostgreSQL/);
    assert.match(withoutUrl.stderr, /MARKETO_API_USERS_DATABASE_URL/);
    assert.ok(!withoutUrl.stdout.includes(secret) && !withoutUrl.stderr.includes(secret));
  });
});
