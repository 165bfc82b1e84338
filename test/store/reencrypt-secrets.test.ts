/**
 * After a key rotation the shared store's secrets move under the new current key: on a command
 * (`reencrypt-secrets`, which needs the store and not Temporal) and in the background of a worker's start. A
 * secret whose key has left the keyring is named, left as it is, and makes the command exit 1; the file store
 * has nothing to re-encrypt.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { z } from 'zod';
import { parsePayloadKeyList } from '../../src/security/keyring';
import { openPostgresStore } from '../../src/store/postgres';
import { reencryptInBackground } from '../../src/store/reencrypt';
import { cliEnv, describeRun, oneJson, removeDir, runCli, tempDir } from '../cli/support';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';

const key = () => randomBytes(32).toString('base64');
const [A, B, C, W] = [key(), key(), key(), key()];
const ref = (n: number) => `file:lifecycle/marketo-api-user-rotation${n}/custom-service`;
const credentials = (n: number) => ({ clientId: `client-${n}`, clientSecret: `secret-${n}-${key()}` });

const outcomeSchema = z.strictObject({
  store: z.enum(['file', 'postgres']),
  currentKeyId: z.string(),
  reencrypted: z.number(),
  failed: z.array(z.strictObject({ ref: z.string(), keyId: z.string(), problem: z.string() })),
});

describe('re-encrypting stored secrets after a key rotation', () => {
  let postgres: RealPostgres;
  let dataDir: string;
  const stored = [credentials(1), credentials(2)];
  const storeUnder = async (keys: string, refs: number[]) => {
    const store = await openPostgresStore({
      databaseUrl: postgres.databaseUrl,
      keyring: parsePayloadKeyList(keys, W),
    });
    try {
      for (const n of refs) await store.secrets.put(ref(n), stored[n - 1] ?? credentials(n));
    } finally {
      await store.close();
    }
  };
  const keyIds = async (): Promise<string[]> => {
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    try {
      return (await client.query<{ key_id: string }>('SELECT key_id FROM secrets ORDER BY ref')).rows.map(
        (r) => r.key_id,
      );
    } finally {
      await client.end();
    }
  };
  const command = (keys: string, database = true) =>
    runCli(['reencrypt-secrets', '--json'], {
      env: cliEnv({
        MARKETO_API_USERS_DATA_DIR: dataDir,
        MARKETO_BASE_URL: 'https://123-abc-456.mktorest.com',
        MARKETO_API_USERS_PAYLOAD_KEY: keys,
        MARKETO_API_USERS_WORKFLOW_ID_KEY: W,
        ...(database ? { MARKETO_API_USERS_DATABASE_URL: postgres.databaseUrl } : {}),
      }),
    });

  before(async () => {
    postgres = await startRealPostgres();
    dataDir = tempDir('reencrypt');
  });
  after(async () => {
    removeDir(dataDir);
    await postgres?.destroy();
  });

  it('the command moves every secret under the new current key, then finds nothing left to do', async () => {
    await storeUnder(`a:${A}`, [1, 2]);
    assert.deepEqual(await keyIds(), ['a', 'a']);
    const run = await command(`b:${B},a:${A}`);
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(outcomeSchema.parse(oneJson(run)), {
      store: 'postgres',
      currentKeyId: 'b',
      reencrypted: 2,
      failed: [],
    });
    assert.deepEqual(await keyIds(), ['b', 'b']);
    const withoutOldKey = await openPostgresStore({
      databaseUrl: postgres.databaseUrl,
      keyring: parsePayloadKeyList(`b:${B}`, W),
    });
    try {
      assert.deepEqual(await withoutOldKey.secrets.get(ref(1)), stored[0]);
      assert.deepEqual(await withoutOldKey.secrets.get(ref(2)), stored[1]);
    } finally {
      await withoutOldKey.close();
    }
    const again = await command(`b:${B},a:${A}`);
    assert.equal(outcomeSchema.parse(oneJson(again)).reencrypted, 0);
    for (const r of [run, again])
      assert.ok(!stored.some((s) => (r.stdout + r.stderr).includes(s.clientSecret)));
  });

  it('names a secret whose key left the keyring, leaves it, and exits 1', async () => {
    await storeUnder(`c:${C}`, [3]);
    const run = await command(`b:${B},a:${A}`);
    assert.equal(run.code, 1, describeRun(run));
    const outcome = outcomeSchema.parse(oneJson(run));
    assert.deepEqual(
      outcome.failed.map((f) => [f.ref, f.keyId]),
      [[ref(3), 'c']],
    );
    assert.deepEqual(await keyIds(), ['b', 'b', 'c']);
  });

  it('reencryptInBackground, which every worker runs at start, re-encrypts what it can and says so', async () => {
    await storeUnder(`c:${C}`, [4]);
    const store = await openPostgresStore({
      databaseUrl: postgres.databaseUrl,
      keyring: parsePayloadKeyList(`d:${key()},c:${C}`, W),
    });
    const lines: string[] = [];
    try {
      await reencryptInBackground(store, {
        info: (m) => lines.push(`info ${m}`),
        warn: (m) => lines.push(`warn ${m}`),
      });
    } finally {
      await store.close();
    }
    assert.deepEqual(lines, [
      'info re-encrypted 2 stored secret(s) under the current key',
      `warn 2 stored secret(s) could not be re-encrypted (${ref(1)}, ${ref(2)}): run \`marketo-api-users reencrypt-secrets\` for the reasons`,
    ]);
    assert.deepEqual(await keyIds(), ['b', 'b', 'd', 'd']);
  });

  it('on the file store there is nothing to re-encrypt', async () => {
    const run = await command(`b:${B}`, false);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(outcomeSchema.parse(oneJson(run)).store, 'file');
  });
});
