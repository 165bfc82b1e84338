/**
 * The embedded database of a data folder: made from the machine's template (built once, safely when two processes
 * build it at once), served on a unix socket in a 0700 folder, opened by one process at a time (the lock), and
 * the same data on the next start.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { Keyring } from '../../src/security/keyring';
import { EmbeddedDatabaseBusyError, startEmbeddedDatabase } from '../../src/store/embedded-database';
import {
  EMBEDDED_DATABASE_LOCK_FILE,
  EMBEDDED_DATABASE_SOCKET_DIR,
  hasEmbeddedDatabase,
} from '../../src/store/embedded-location';
import { openStore } from '../../src/store/open';
import { ensureTemplate, seedFromTemplate, templateDirFor } from '../../src/store/postgres/embedded-template';

const roots: string[] = [];
function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mau-embdb-${name}-`));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

async function query(databaseUrl: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test keyring');

describe('embedded database template', () => {
  it('is built once when two processes ask at the same time, and seeds fresh folders only', async () => {
    const cache = tempDir('cache');
    const [a, b] = await Promise.all([ensureTemplate(cache), ensureTemplate(cache)]);
    assert.equal(a, templateDirFor(cache));
    assert.equal(b, a);
    assert.deepEqual(fs.readdirSync(cache), [path.basename(a)], 'no half-built template is left beside it');
    const fresh = path.join(tempDir('seed'), 'database');
    await seedFromTemplate(fresh, cache);
    assert.ok(fs.existsSync(path.join(fresh, 'PG_VERSION')));
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
    const marker = path.join(fresh, 'marker');
    fs.writeFileSync(marker, 'mine');
    await seedFromTemplate(fresh, cache);
    assert.equal(fs.readFileSync(marker, 'utf8'), 'mine', 'an initialised folder is never overwritten');
  });
});

describe('embedded database of a data folder', () => {
  it('serves on a private unix socket, keeps its data across a restart, and releases its lock', async () => {
    const dataDir = tempDir('data');
    const first = await startEmbeddedDatabase(dataDir);
    try {
      assert.match(first.databaseUrl, /^postgres:\/\/postgres@\/postgres\?host=/);
      const socketDir = path.join(dataDir, EMBEDDED_DATABASE_SOCKET_DIR);
      assert.equal(fs.statSync(socketDir).mode & 0o777, 0o700, 'only this user reaches the socket');
      await query(first.databaseUrl, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$one$$)');
    } finally {
      await first.stop();
    }
    assert.ok(hasEmbeddedDatabase(dataDir));
    assert.ok(!fs.existsSync(path.join(dataDir, EMBEDDED_DATABASE_LOCK_FILE)), 'the lock is released');
    const second = await startEmbeddedDatabase(dataDir);
    try {
      assert.deepEqual(await query(second.databaseUrl, 'SELECT v FROM kept'), [{ v: 'one' }]);
    } finally {
      await second.stop();
    }
  });

  it('refuses a second opener while the first runs, and takes over a lock its dead owner left', async () => {
    const dataDir = tempDir('lock');
    const first = await startEmbeddedDatabase(dataDir);
    try {
      await assert.rejects(startEmbeddedDatabase(dataDir), (error: unknown) => {
        assert.ok(error instanceof EmbeddedDatabaseBusyError);
        assert.match(error.message, new RegExp(`pid ${process.pid}`));
        return true;
      });
    } finally {
      await first.stop();
    }
    // A pid no process has: what a SIGKILLed `up` leaves behind.
    fs.writeFileSync(path.join(dataDir, EMBEDDED_DATABASE_LOCK_FILE), '4194304\n');
    const again = await startEmbeddedDatabase(dataDir);
    await again.stop();
  });

  it('puts the socket in a private temp folder when the data folder’s path is too long for one', async () => {
    const dataDir = path.join(tempDir('long'), 'x'.repeat(90));
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const database = await startEmbeddedDatabase(dataDir);
    const socketDir = decodeURIComponent(database.databaseUrl.split('?host=')[1] ?? '');
    try {
      assert.ok(socketDir.startsWith(os.tmpdir()), socketDir);
      assert.equal(fs.statSync(socketDir).mode & 0o777, 0o700);
      assert.deepEqual(await query(database.databaseUrl, 'SELECT 1 AS one'), [{ one: 1 }]);
    } finally {
      await database.stop();
    }
    assert.ok(!fs.existsSync(socketDir), 'the temp socket folder goes with the database');
  });

  it('opens as the store of a command with no `up` (embedded: true), and lets go of the folder on close', async () => {
    const dataDir = tempDir('store');
    const settings = { dataDir, secretDir: path.join(dataDir, 'secrets'), databaseUrl: undefined, env: {} };
    const store = await openStore({ ...settings, embedded: true }, keyring);
    await store.secrets.put('file:lifecycle/wf-1/custom-service', {
      clientId: 'c1',
      clientSecret: 'the-secret',
    });
    await store.close();
    assert.ok(!fs.existsSync(path.join(dataDir, 'secrets')), 'nothing went to the file store');
    const reopened = await openStore({ ...settings, embedded: true }, keyring);
    try {
      assert.deepEqual(await reopened.secrets.get('file:lifecycle/wf-1/custom-service'), {
        clientId: 'c1',
        clientSecret: 'the-secret',
      });
    } finally {
      await reopened.close();
    }
  });
});
