/**
 * `move-store`: refuses (exit 2, with a hint) while an `up` runs on the folder; otherwise moves the folder's file
 * store into PostgreSQL (with a database URL) or into the folder's embedded database (without one), and
 * answers with one JSON object under --json.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { writeStackFile, type StackFile } from '../../src/context';
import { parsePayloadKeyList } from '../../src/security/keyring';
import { hasEmbeddedDatabase } from '../../src/store/embedded-location';
import { FileStore } from '../../src/store/file-store';
import { openStore } from '../../src/store/open';
import { openPostgresStore } from '../../src/store/postgres';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';
import { auditEventsOf, cliEnv, describeRun, oneJson, removeDir, runCli, tempDir } from './support';

const PAYLOAD_KEY = `k1:${randomBytes(32).toString('base64')}`;
const ID_KEY = randomBytes(32).toString('base64');
const ref = (n: number) => `file:lifecycle/marketo-api-user-cli${n}/custom-service`;
const secret = (n: number) => ({
  clientId: `client-${n}`,
  clientSecret: `secret-${randomBytes(8).toString('hex')}`,
});

const countSchema = z.strictObject({ moved: z.number(), alreadyThere: z.number() });
const outcomeSchema = z.strictObject({
  dryRun: z.boolean(),
  dataDir: z.string(),
  target: z.enum(['postgres', 'embedded']),
  secrets: countSchema,
  firstSeen: countSchema,
  auditEvents: countSchema,
  usageDays: countSchema,
  keptAs: z.array(z.string()),
  abandonedTempFiles: z.number(),
});
const errorSchema = z.strictObject({ error: z.string(), hint: z.string() });

function stack(pid: number): StackFile {
  return {
    temporalAddress: '127.0.0.1:1',
    namespace: 'default',
    marketoBaseUrl: 'http://127.0.0.1:1',
    instanceId: 'embedded-sandbox',
    taskQueue: 'marketo-api-users',
    pid,
    startedAt: new Date().toISOString(),
    store: 'file',
  };
}

describe('move-store', () => {
  let postgres: RealPostgres;
  const dirs: string[] = [];
  const folder = (name: string) => {
    const dir = tempDir(`move-${name}`);
    dirs.push(dir);
    return dir;
  };
  const command = (dataDir: string, flags: string[], database = true, keys = true) =>
    runCli(['move-store', '--data-dir', dataDir, ...flags], {
      env: cliEnv({
        ...(keys
          ? { MARKETO_API_USERS_PAYLOAD_KEY: PAYLOAD_KEY, MARKETO_API_USERS_WORKFLOW_ID_KEY: ID_KEY }
          : {}),
        ...(database ? { MARKETO_API_USERS_DATABASE_URL: postgres.databaseUrl } : {}),
      }),
    });

  before(async () => {
    postgres = await startRealPostgres();
  });
  after(async () => {
    for (const dir of dirs) removeDir(dir);
    await postgres?.destroy();
  });

  it('without MARKETO_API_USERS_DATABASE_URL: into the folder’s embedded database, which `audit` then reads (a dry run makes none)', async () => {
    const dataDir = folder('embedded');
    const source = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
    await source.secrets.put(ref(1), secret(1));
    await source.audit.append({
      id: 'wf-e/onboarded',
      at: '2026-12-01T09:00:00.000Z',
      kind: 'onboarded',
      email: 'e@x.com',
      workflowId: 'wf-e',
      actor: 'ada',
      reason: 'TICKET-7',
      detail: {},
    });
    const dry = await command(dataDir, ['--json', '--dry-run'], false);
    assert.equal(dry.code, 0, describeRun(dry));
    assert.equal(outcomeSchema.parse(oneJson(dry)).target, 'embedded');
    assert.deepEqual(outcomeSchema.parse(oneJson(dry)).secrets, { moved: 1, alreadyThere: 0 });
    assert.ok(!hasEmbeddedDatabase(dataDir), 'a dry run makes no database in the folder');

    const run = await command(dataDir, ['--json'], false);
    assert.equal(run.code, 0, describeRun(run));
    const outcome = outcomeSchema.parse(oneJson(run));
    assert.equal(outcome.target, 'embedded');
    assert.deepEqual(outcome.auditEvents, { moved: 1, alreadyThere: 0 });
    assert.ok(hasEmbeddedDatabase(dataDir));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'secrets')), []);
    const audit = await runCli(['audit', '--json'], {
      env: cliEnv({
        MARKETO_API_USERS_DATA_DIR: dataDir,
        MARKETO_API_USERS_PAYLOAD_KEY: PAYLOAD_KEY,
        MARKETO_API_USERS_WORKFLOW_ID_KEY: ID_KEY,
        MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com',
      }),
    });
    assert.equal(audit.code, 0, describeRun(audit));
    assert.deepEqual(
      auditEventsOf(audit).map((e) => [e.id, e.reason]),
      [['wf-e/onboarded', 'TICKET-7']],
    );
    const store = await openStore(
      { dataDir, secretDir: path.join(dataDir, 'secrets'), databaseUrl: undefined, env: {}, embedded: true },
      parsePayloadKeyList(PAYLOAD_KEY, ID_KEY),
    );
    try {
      assert.equal((await store.secrets.get(ref(1)))?.clientId, 'client-1');
    } finally {
      await store.close();
    }
  });

  it('while an `up` runs on the folder: exit 2, says to stop it first, touches nothing', async () => {
    const dataDir = folder('up');
    const source = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
    await source.secrets.put(ref(1), secret(1));
    writeStackFile(dataDir, stack(process.pid)); // this test's own process: alive for as long as the run
    const run = await command(dataDir, []);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(run.stderr, /^error: .*`up`.* runs on /m);
    assert.match(run.stderr, /^hint: stop /m);
    assert.equal(fs.readdirSync(path.join(dataDir, 'secrets')).length, 1);
  });

  it('a data folder that does not exist is refused (exit 2), not taken for an empty store', async () => {
    const run = await command(path.join(folder('missing'), 'typo'), ['--json']);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(errorSchema.parse(oneJson(run)).error, /no data folder/);
  });

  it('with no keyring to hand (no key setting, no key file) it makes none: exit 2, nothing moved', async () => {
    const dataDir = folder('nokeys');
    await new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') }).secrets.put(
      ref(21),
      secret(21),
    );
    const run = await command(dataDir, ['--json'], true, false);
    assert.equal(run.code, 2, describeRun(run));
    assert.match(errorSchema.parse(oneJson(run)).hint, /MARKETO_API_USERS_PAYLOAD_KEY/);
    assert.equal(fs.existsSync(path.join(dataDir, 'keys.json')), false);
    assert.equal(fs.readdirSync(path.join(dataDir, 'secrets')).length, 1);
  });

  it('--dry-run then the move, beside a stale stack file: one JSON object each, quiet stderr, no secret', async () => {
    const dataDir = folder('json');
    const source = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
    const stored = [secret(1), secret(2)];
    for (const [i, value] of stored.entries()) await source.secrets.put(ref(i + 1), value);
    await source.firstSeen.recordFirstSeen(['a@x.com'], '2026-11-01T00:00:00.000Z');
    await source.audit.append({
      id: 'wf-1/onboarded',
      at: '2026-12-01T09:00:00.000Z',
      kind: 'onboarded',
      email: 'a@x.com',
      workflowId: 'wf-1',
      actor: 'ada',
      reason: null,
      detail: {},
    });
    const gone = spawnSync(process.execPath, ['-e', '']).pid; // an `up` that has exited: its file stays behind
    writeStackFile(dataDir, stack(gone));

    const dry = await command(dataDir, ['--json', '--dry-run']);
    assert.equal(dry.code, 0, describeRun(dry));
    const planned = outcomeSchema.parse(oneJson(dry));
    assert.equal(planned.dryRun, true);
    assert.deepEqual(planned.secrets, { moved: 2, alreadyThere: 0 });
    assert.equal(fs.readdirSync(path.join(dataDir, 'secrets')).length, 2);

    const run = await command(dataDir, ['--json']);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.stderr, '');
    const outcome = outcomeSchema.parse(oneJson(run));
    assert.deepEqual(outcome, {
      dryRun: false,
      dataDir: dataDir,
      target: 'postgres',
      secrets: { moved: 2, alreadyThere: 0 },
      firstSeen: { moved: 1, alreadyThere: 0 },
      auditEvents: { moved: 1, alreadyThere: 0 },
      usageDays: { moved: 0, alreadyThere: 0 },
      keptAs: [path.join(dataDir, 'audit.jsonl.moved'), path.join(dataDir, 'sweep-first-seen.json.moved')],
      abandonedTempFiles: 0,
    });
    for (const r of [dry, run]) {
      for (const value of stored) assert.ok(!(r.stdout + r.stderr).includes(value.clientSecret));
      assert.ok(!(r.stdout + r.stderr).includes(postgres.databaseUrl));
    }
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'secrets')), []);
    const target = await openPostgresStore({
      databaseUrl: postgres.databaseUrl,
      keyring: parsePayloadKeyList(PAYLOAD_KEY, ID_KEY),
    });
    try {
      assert.deepEqual(await target.secrets.get(ref(2)), stored[1]);
    } finally {
      await target.close();
    }
  });

  it('for people: progress on stderr, the outcome and what to do next on stdout', async () => {
    const dataDir = folder('text');
    await new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') }).secrets.put(ref(9), secret(9));
    const run = await command(dataDir, []);
    assert.equal(run.code, 0, describeRun(run));
    assert.match(run.stderr, /secrets: 1 of 1/);
    assert.match(run.stdout, /^Moved into PostgreSQL: 1 secret/m);
    assert.match(run.stdout, /MARKETO_API_USERS_DATABASE_URL/);
  });

  it('--help says what it does, with examples; the command list names it', async () => {
    const [help, list] = [await runCli(['move-store', '--help']), await runCli(['--help'])];
    assert.equal(help.code, 0, describeRun(help));
    assert.match(help.stdout, /^Usage: marketo-api-users move-store\b/);
    assert.match(help.stdout, /^Examples:$/m);
    assert.match(list.stdout, /^ {2}move-store /m);
  });
});
