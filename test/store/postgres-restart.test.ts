/**
 * A PostgreSQL restart under a running store: while the server is down a call fails with the store's own
 * problem-and-hint error (naming the server, never the URL's password); once it is back the same store
 * works again without being reopened, and nothing written before the restart is lost.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Keyring } from '../../src/security/keyring';
import { openPostgresStore, StoreUnavailableError, type PostgresStore } from '../../src/store/postgres';
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
