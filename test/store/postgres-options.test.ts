/** openPostgresStore checks its options before it connects, and never repeats the URL (it may hold a password). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors';
import { Keyring } from '../../src/security/keyring';
import { openPostgresStore, StoreUnavailableError } from '../../src/store/postgres';

const keyring = new Keyring('k1', new Map([['k1', randomBytes(32)]]), undefined, 'test keyring');

describe('openPostgresStore options', () => {
  it('refuses a URL that is not postgres:// without echoing it', async () => {
    await assert.rejects(
      openPostgresStore({ databaseUrl: 'mysql://u:hunter2@db/x', keyring }),
      (e: unknown) => {
        assert.ok(e instanceof InputError);
        assert.deepEqual(e.problems, ['databaseUrl: must be a postgres:// or postgresql:// URL']);
        assert.equal(e.message.includes('hunter2'), false);
        return true;
      },
    );
  });

  it('refuses a pool size below 1', async () => {
    await assert.rejects(
      openPostgresStore({ databaseUrl: 'postgres://127.0.0.1:1/x', keyring, poolMax: 0 }),
      InputError,
    );
  });

  it('names host, port and database of a server that does not answer, never the password', async () => {
    await assert.rejects(
      openPostgresStore({ databaseUrl: 'postgres://u:hunter2@127.0.0.1:1/store', keyring }),
      (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError);
        assert.match(e.problem, /127\.0\.0\.1:1\/store/);
        assert.equal(e.message.includes('hunter2'), false);
        return true;
      },
    );
  });
});
