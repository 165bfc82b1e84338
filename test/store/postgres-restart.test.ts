/**
 * Restarts. A PostgreSQL restart under a running store: while the server is down a call fails with the store's own
 * problem-and-hint error (naming the server, never the URL's password); once it is back the same store
 * works again without being reopened, and nothing written before the restart is lost. The embedded server, stopped and started again
 * on its data folder (the next `up`), keeps everything too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Keyring } from '../../src/security/keyring';
import {
  MIGRATIONS,
  openPostgresStore,
  startEmbeddedPostgres,
  StoreUnavailableError,
  type PostgresStore,
} from '../../src/store/postgres';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';

describe('PostgreSQL store across a server restart', () => {
  let server: RealPostgres;
  let store: PostgresStore;
  before(async () => {
    server = await startRealPostgres();
    const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test keyring');
    store = await openPostgresStore({ databaseUrl: server.databaseUrl, keyring });
  });
  after(async () => {
    await store?.close();
    await server?.destroy();
  });

  it('fails with StoreUnavailableError while down, then works again with its data', async () => {
    const ref = 'file:lifecycle/wf-restart/custom-service';
    const value = { clientId: 'c', clientSecret: `s-${randomBytes(8).toString('hex')}` };
    await store.secrets.put(ref, value);
    await server.stop();
    const error = await store.secrets.get(ref).then(
      () => assert.fail('read from a stopped server'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StoreUnavailableError, String(error));
    assert.match(error.hint, /MARKETO_API_USERS_DATABASE_URL/);
    await server.start();
    assert.deepEqual(await store.secrets.get(ref), value);
    await store.secrets.delete(ref);
  });
});

describe('embedded PGlite across a restart of its data folder', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-pglite-restart-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('keeps secrets, first sightings and the audit log, and migrates nothing twice', async () => {
    const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test keyring');
    const ref = 'file:lifecycle/wf-embedded-restart/custom-service';
    const value = { clientId: 'c', clientSecret: `s-${randomBytes(8).toString('hex')}` };
    const first = await startEmbeddedPostgres({ dataDir });
    const store = await openPostgresStore({ databaseUrl: first.databaseUrl, keyring });
    await store.secrets.put(ref, value);
    await store.firstSeen.recordFirstSeen(['kept@x.com'], '2025-01-01T00:00:00.000Z');
    await store.audit.append({
      id: 'restart-1',
      at: '2026-01-01T00:00:00.000Z',
      kind: 'onboarded',
      email: 'kept@x.com',
      workflowId: null,
      actor: 'lifecycle',
      reason: null,
      detail: {},
    });
    await store.close();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir });
    const reopened = await openPostgresStore({ databaseUrl: second.databaseUrl, keyring });
    try {
      assert.deepEqual(await reopened.secrets.get(ref), value);
      assert.deepEqual(await reopened.firstSeen.firstSeenOf(['kept@x.com']), {
        'kept@x.com': '2025-01-01T00:00:00.000Z',
      });
      assert.deepEqual(
        (await reopened.audit.query({ email: 'kept@x.com' })).map((e) => e.id),
        ['restart-1'],
      );
      const client = new pg.Client({ connectionString: second.databaseUrl });
      await client.connect();
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
      await client.end();
      assert.equal(rows[0]?.n, String(MIGRATIONS.length));
    } finally {
      await reopened.close();
      await second.stop();
    }
  });
});
