/**
 * The shared store's contract, run against a real PostgreSQL (a throwaway cluster) and the embedded PGlite
 * default: one suite, two servers, so the one SQL dialect really serves both.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { InputError } from '../../src/errors';
import { Keyring } from '../../src/security/keyring';
import {
  MIGRATIONS,
  openPostgresStore,
  SecretIntegrityError,
  SecretKeyMissingError,
  startEmbeddedPostgres,
  StoreCorruptError,
  type PostgresStore,
} from '../../src/store/postgres';
import type { AuditEvent } from '../../src/store/types';
import { startRealPostgres } from '../helpers/postgres';

interface Server {
  databaseUrl: string;
  stop(): Promise<void>;
}

const SERVERS: { name: string; start: () => Promise<Server> }[] = [
  {
    name: 'real PostgreSQL',
    async start() {
      const server = await startRealPostgres();
      return { databaseUrl: server.databaseUrl, stop: () => server.destroy() };
    },
  },
  {
    name: 'embedded PGlite',
    async start() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-pglite-'));
      const server = await startEmbeddedPostgres({ dataDir });
      return {
        databaseUrl: server.databaseUrl,
        async stop() {
          await server.stop();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];

function keyring(current: string, ...keys: [string, Buffer][]): Keyring {
  return new Keyring(current, new Map(keys), undefined, 'test keyring');
}

async function sql<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function secret(): string {
  return `s3cr3t-${randomBytes(12).toString('hex')}`;
}

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `evt-${randomBytes(6).toString('hex')}`,
    at: '2026-01-01T10:00:00.000Z',
    kind: 'onboarded',
    email: 'alice@example.com',
    workflowId: 'wf-alice',
    actor: 'lifecycle',
    reason: null,
    detail: { role: 'api-reader', days: 30, renewed: false, note: null },
    ...overrides,
  };
}

for (const { name, start } of SERVERS) {
  describe(`PostgreSQL store on ${name}`, () => {
    let server: Server;
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    before(async () => {
      server = await start();
    });
    after(async () => {
      await server?.stop();
    });

    describe('migrations', () => {
      it('run by several processes at once: each succeeds and every version is applied once', async () => {
        const stores = await Promise.all(
          [1, 2, 3, 4].map(() =>
            openPostgresStore({ databaseUrl: server.databaseUrl, keyring: keyring('k1', ['k1', k1]) }),
          ),
        );
        await Promise.all(stores.map((store) => store.close()));
        const rows = await sql<{ version: number }>(
          server.databaseUrl,
          'SELECT version FROM schema_migrations',
        );
        assert.deepEqual(
          rows.map((row) => row.version).sort(),
          MIGRATIONS.map((migration) => migration.version),
        );
        const again = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k1', ['k1', k1]),
        });
        await again.close();
        const after = await sql<{ n: string }>(
          server.databaseUrl,
          'SELECT count(*) AS n FROM schema_migrations',
        );
        assert.equal(after[0]?.n, String(MIGRATIONS.length));
      });
    });

    describe('contract', () => {
      let store: PostgresStore;
      before(async () => {
        store = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k1', ['k1', k1]),
        });
      });
      after(async () => {
        await store?.close();
      });

      it('secrets: put, get, overwrite, delete (idempotent), and a missing ref is undefined', async () => {
        const ref = 'file:lifecycle/wf-round-trip/custom-service';
        const value = { clientId: 'client-1', clientSecret: secret() };
        assert.equal(await store.secrets.get(ref), undefined);
        await store.secrets.put(ref, value);
        assert.deepEqual(await store.secrets.get(ref), value);
        const next = { clientId: 'client-1', clientSecret: secret() };
        await store.secrets.put(ref, next);
        assert.deepEqual(await store.secrets.get(ref), next);
        await store.secrets.delete(ref);
        assert.equal(await store.secrets.get(ref), undefined);
        await store.secrets.delete(ref);
        await assert.rejects(store.secrets.put('file:../escape', value), /not allowed/);
        await assert.rejects(store.secrets.put(ref, { clientId: 'x', clientSecret: '' }), /refusing/);
      });

      it('secrets: the table holds neither the secret nor the client id, and names the current key', async () => {
        const ref = 'file:lifecycle/wf-at-rest/custom-service';
        const value = { clientId: `cid-${randomBytes(6).toString('hex')}`, clientSecret: secret() };
        await store.secrets.put(ref, value);
        const rows = await sql<{ key_id: string; row: string; hex: string }>(
          server.databaseUrl,
          `SELECT key_id, s::text AS row, encode(nonce || ciphertext, 'hex') AS hex FROM secrets s WHERE ref = $1`,
          [ref],
        );
        assert.equal(rows.length, 1);
        const [row] = rows as [(typeof rows)[number]];
        assert.equal(row.key_id, 'k1');
        for (const needle of [value.clientSecret, value.clientId]) {
          assert.equal(row.row.includes(needle), false, 'plaintext in the row');
          assert.equal(
            row.hex.includes(Buffer.from(needle).toString('hex')),
            false,
            'plaintext bytes in the row',
          );
        }
        await store.secrets.delete(ref);
      });

      it('secrets: rows swapped by SQL refuse to decrypt, naming the ref and never the secret', async () => {
        const a = 'file:lifecycle/wf-swap-a/custom-service';
        const b = 'file:lifecycle/wf-swap-b/custom-service';
        const valueA = { clientId: 'a', clientSecret: secret() };
        const valueB = { clientId: 'b', clientSecret: secret() };
        await store.secrets.put(a, valueA);
        await store.secrets.put(b, valueB);
        await sql(
          server.databaseUrl,
          `UPDATE secrets SET nonce = o.nonce, ciphertext = o.ciphertext
             FROM secrets o WHERE secrets.ref IN ($1, $2) AND o.ref IN ($1, $2) AND o.ref <> secrets.ref`,
          [a, b],
        );
        for (const [ref, other] of [
          [a, valueB],
          [b, valueA],
        ] as const) {
          const error = await store.secrets.get(ref).then(
            () => assert.fail(`${ref} decrypted another row's ciphertext`),
            (e: unknown) => e,
          );
          assert.ok(error instanceof SecretIntegrityError, String(error));
          assert.ok(error.message.includes(ref));
          assert.equal(error.message.includes(other.clientSecret), false);
        }
        await store.secrets.delete(a);
        await store.secrets.delete(b);
      });

      it('secrets: after a key rotation, re-encryption moves every row to the new key, in batches, once', async () => {
        const refs = [1, 2, 3, 4, 5].map((n) => `file:lifecycle/wf-rotate-${n}/custom-service`);
        const values = refs.map((_, n) => ({ clientId: `c${n}`, clientSecret: secret() }));
        for (const [n, ref] of refs.entries()) await store.secrets.put(ref, values[n] as (typeof values)[0]);
        // Another ref's ciphertext planted by SQL: reported and left alone, it must not hold back the others.
        const planted = 'file:lifecycle/wf-rotate-3a/custom-service';
        await sql(
          server.databaseUrl,
          `INSERT INTO secrets (ref, key_id, nonce, ciphertext)
             SELECT $1, key_id, nonce, ciphertext FROM secrets WHERE ref = $2`,
          [planted, refs[2]],
        );
        const rotated = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k2', ['k2', k2], ['k1', k1]),
        });
        const onlyNew = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k2', ['k2', k2]),
        });
        try {
          // Before re-encryption a keyring without the old key cannot read, and says which key it lacks.
          await assert.rejects(onlyNew.secrets.get(refs[0] as string), (e: unknown) => {
            assert.ok(e instanceof SecretKeyMissingError);
            assert.equal(e.keyId, 'k1');
            return true;
          });
          const report = await rotated.reencryptSecrets({ batchSize: 2 });
          const tampered = {
            ref: planted,
            keyId: 'k1',
            problem: `the stored credentials for ${planted} fail their integrity check and were not used`,
          };
          assert.deepEqual(report, { reencrypted: refs.length, failed: [tampered] });
          // A second run has nothing left to rewrite; the tampered row is still reported, still untouched.
          assert.deepEqual(await rotated.reencryptSecrets({ batchSize: 2 }), {
            reencrypted: 0,
            failed: [tampered],
          });
          await store.secrets.delete(planted);
          const keys = await sql<{ key_id: string; n: string }>(
            server.databaseUrl,
            'SELECT key_id, count(*) AS n FROM secrets GROUP BY key_id',
          );
          assert.deepEqual(
            keys.map((row) => row.key_id),
            ['k2'],
          );
          for (const [n, ref] of refs.entries()) assert.deepEqual(await onlyNew.secrets.get(ref), values[n]);
        } finally {
          await rotated.close();
          await onlyNew.close();
        }
      });

      it('two processes sharing the server: concurrent puts and gets each read back their own values', async () => {
        const other = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k1', ['k1', k1]),
        });
        try {
          const work = [store, other].flatMap((s, side) =>
            Array.from({ length: 40 }, async (_, n) => {
              const ref = `file:lifecycle/wf-shared-${side}-${n}/custom-service`;
              const value = { clientId: `c-${side}-${n}`, clientSecret: secret() };
              await s.secrets.put(ref, value);
              assert.deepEqual(await s.secrets.get(ref), value, ref);
              await s.audit.append(event({ id: `shared-${side}-${n}`, email: 'shared@example.com' }));
              await s.secrets.delete(ref);
            }),
          );
          await Promise.all(work);
          assert.equal((await store.audit.query({ email: 'shared@example.com' })).length, 80);
        } finally {
          await other.close();
        }
      });

      it('first seen: case-insensitive, the first date wins, Object.prototype names are plain keys', async () => {
        const first = '2025-01-01T00:00:00.000Z';
        const later = '2025-02-01T00:00:00.000Z';
        const userids = ['constructor', '__proto__', 'toString', 'Plain@X.com'];
        assert.deepEqual(await store.firstSeen.firstSeenOf(userids), {});
        assert.deepEqual(await store.firstSeen.recordFirstSeen([], first), {});
        const recorded = await store.firstSeen.recordFirstSeen(userids, first);
        for (const userid of userids)
          assert.equal(Object.hasOwn(recorded, userid) && recorded[userid], first);
        const again = await store.firstSeen.recordFirstSeen(
          ['plain@x.com', 'CONSTRUCTOR', 'new@x.com'],
          later,
        );
        assert.deepEqual(Object.entries(again).sort(), [
          ['CONSTRUCTOR', first],
          ['new@x.com', later],
          ['plain@x.com', first],
        ]);
        const read = await store.firstSeen.firstSeenOf(['__proto__', 'unknown@x.com', 'NEW@x.com']);
        assert.deepEqual(Object.entries(read).sort(), [
          ['NEW@x.com', later],
          ['__proto__', first],
        ]);
        // firstSeenOf records nothing (a dry run).
        assert.deepEqual(await store.firstSeen.firstSeenOf(['unknown@x.com']), {});
      });

      it('first seen: two workers recording the same new users at once agree on one date', async () => {
        const other = await openPostgresStore({
          databaseUrl: server.databaseUrl,
          keyring: keyring('k1', ['k1', k1]),
        });
        try {
          const userids = Array.from({ length: 20 }, (_, n) => `race-${n}@x.com`);
          const [a, b] = await Promise.all([
            store.firstSeen.recordFirstSeen(userids, '2025-03-01T00:00:00.000Z'),
            other.firstSeen.recordFirstSeen(userids, '2025-03-02T00:00:00.000Z'),
          ]);
          assert.deepEqual(a, b);
          assert.equal(Object.keys(a).length, userids.length);
        } finally {
          await other.close();
        }
      });

      it('audit: UPDATE, DELETE and TRUNCATE by SQL are refused by the database', async () => {
        const e = event();
        await store.audit.append(e);
        for (const statement of [
          `UPDATE audit_events SET actor = 'mallory' WHERE id = '${e.id}'`,
          `DELETE FROM audit_events WHERE id = '${e.id}'`,
          'TRUNCATE audit_events',
        ]) {
          await assert.rejects(sql(server.databaseUrl, statement), /append-only/, statement);
        }
        const kept = await store.audit.query({ email: e.email ?? '' });
        assert.deepEqual(
          kept.filter((k) => k.id === e.id),
          [e],
        );
      });

      it('audit: a retried append of the same id is stored once; the first one wins', async () => {
        const e = event({ email: 'retry@example.com' });
        await store.audit.append(e);
        await store.audit.append(e);
        await store.audit.append({ ...e, at: '2026-01-01T10:00:05.000Z' });
        assert.deepEqual(await store.audit.query({ email: 'retry@example.com' }), [e]);
      });

      it('audit: filters by email (any case), since, kinds and limit, oldest first', async () => {
        const email = 'filters@example.com';
        const events = [
          event({ email, at: '2026-02-03T00:00:00.000Z', kind: 'revoked', reason: 'left the team' }),
          event({ email, at: '2026-02-01T00:00:00.000Z', kind: 'onboarded' }),
          event({ email, at: '2026-02-02T00:00:00.000Z', kind: 'credentials-read', actor: 'ci-pipeline' }),
          event({ email: 'someone-else@example.com', at: '2026-02-02T00:00:00.000Z' }),
          event({
            email: null,
            workflowId: null,
            at: '2026-02-02T12:00:00.000+02:00',
            kind: 'sweep-action',
            actor: 'sweep',
          }),
        ];
        for (const e of events) await store.audit.append(e);
        const [revoked, onboarded, read] = events as [AuditEvent, AuditEvent, AuditEvent];
        assert.deepEqual(await store.audit.query({ email: 'FILTERS@example.com' }), [
          onboarded,
          read,
          revoked,
        ]);
        assert.deepEqual(await store.audit.query({ email, since: '2026-02-02T00:00:00.000Z' }), [
          read,
          revoked,
        ]);
        assert.deepEqual(await store.audit.query({ email, kinds: ['revoked', 'onboarded'] }), [
          onboarded,
          revoked,
        ]);
        assert.deepEqual(await store.audit.query({ email, limit: 2 }), [onboarded, read]);
        const sweep = await store.audit.query({ kinds: ['sweep-action'] });
        assert.equal(sweep.length, 1);
        assert.equal(sweep[0]?.at, '2026-02-02T10:00:00.000Z', 'at comes back in UTC');
        await assert.rejects(store.audit.query({ since: 'last week' }), InputError);
        await assert.rejects(
          store.audit.append({ ...onboarded, id: 'x', kind: 'bogus' } as unknown as AuditEvent),
          InputError,
        );
      });

      it('audit: a row that is not a valid event is refused on the way out', async () => {
        await sql(
          server.databaseUrl,
          `INSERT INTO audit_events (id, at, kind, email, workflow_id, actor, reason, detail)
             VALUES ('planted', now(), 'made-up-kind', 'planted@example.com', null, 'someone', null, '{}')`,
        );
        await assert.rejects(store.audit.query({ email: 'planted@example.com' }), StoreCorruptError);
      });
    });
  });
}
