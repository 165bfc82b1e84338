/**
 * Moving a running deployment's file store into PostgreSQL: every secret, first sighting and audit event
 * arrives (read back through openPostgresStore), no secret file stays behind, a second run moves nothing, and
 * a run interrupted half-way followed by a full one loses and doubles nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { parsePayloadKeyList } from '../../src/security/keyring';
import type { StoredServiceCredentials } from '../../src/security/secret-store';
import {
  AUDIT_FILE_NAME,
  FIRST_SEEN_FILE_NAME,
  FileStore,
  USAGE_FILE_NAME,
} from '../../src/store/file-store';
import { moveFileStore, type MoveReport } from '../../src/store/move-file-store';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres';
import type { AuditEvent, Store } from '../../src/store/types';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';

const keyring = parsePayloadKeyList(
  `k1:${randomBytes(32).toString('base64')}`,
  randomBytes(32).toString('base64'),
);
const ref = (n: number) => `file:lifecycle/marketo-api-user-move${n}/custom-service`;
const secret = (n: number): StoredServiceCredentials => ({
  clientId: `client-${n}`,
  clientSecret: `secret-${n}-${randomBytes(8).toString('hex')}`,
});
const event = (n: number): AuditEvent => ({
  id: `wf-${n}/onboarded`,
  at: new Date(Date.UTC(2026, 11, 1, 9, 0, n)).toISOString(),
  kind: 'onboarded',
  email: `user${n}@example.com`,
  workflowId: `wf-${n}`,
  actor: 'ada',
  reason: n % 2 ? 'TICKET-1' : null,
  detail: { clientId: `client-${n}`, roleId: n },
});

interface Seeded {
  dataDir: string;
  source: FileStore;
  secrets: Map<string, StoredServiceCredentials>;
  sightings: Record<string, string>;
  events: AuditEvent[];
}

async function seedFileStore(count: number): Promise<Seeded> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-move-'));
  const source = new FileStore({ dataDir, secretDir: path.join(dataDir, 'secrets') });
  const secrets = new Map<string, StoredServiceCredentials>();
  const events: AuditEvent[] = [];
  for (let n = 1; n <= count; n++) {
    secrets.set(ref(n), secret(n));
    await source.secrets.put(ref(n), secrets.get(ref(n))!);
    events.push(event(n));
    await source.audit.append(event(n));
  }
  // Two dates, as two sweeps would record them.
  await source.firstSeen.recordFirstSeen(['a@x.com', 'B@x.com'], '2026-11-01T00:00:00.000Z');
  await source.firstSeen.recordFirstSeen(['a@x.com', 'c@x.com'], '2026-11-02T00:00:00.000Z');
  const sightings = {
    'a@x.com': '2026-11-01T00:00:00.000Z',
    'b@x.com': '2026-11-01T00:00:00.000Z',
    'c@x.com': '2026-11-02T00:00:00.000Z',
  };
  return { dataDir, source, secrets, sightings, events };
}

function secretFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'secrets');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** A target whose secret store fails after `limit` puts: a move killed half-way. */
function failingAfter(target: Store, limit: number): Store {
  let puts = 0;
  return {
    ...target,
    secrets: {
      put: async (r, v) => {
        if (++puts > limit) throw new Error('connection lost');
        await target.secrets.put(r, v);
      },
      get: (r) => target.secrets.get(r),
      delete: (r) => target.secrets.delete(r),
    },
  };
}

describe('moving the file store into PostgreSQL', () => {
  let postgres: RealPostgres;
  const opened: PostgresStore[] = [];
  const dirs: string[] = [];
  const open = async (): Promise<PostgresStore> => {
    const store = await openPostgresStore({ databaseUrl: postgres.databaseUrl, keyring });
    opened.push(store);
    return store;
  };
  const resetDatabase = async () => {
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    try {
      // The audit table refuses DELETE and TRUNCATE by design: a fresh schema per test instead.
      await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    } finally {
      await client.end();
    }
  };
  const seed = async (count: number) => {
    const seeded = await seedFileStore(count);
    dirs.push(seeded.dataDir);
    return seeded;
  };
  const assertAllThere = async (seeded: Seeded) => {
    const fresh = await open();
    for (const [r, value] of seeded.secrets) assert.deepEqual(await fresh.secrets.get(r), value, r);
    assert.deepEqual(await fresh.firstSeen.firstSeenOf(['a@x.com', 'b@x.com', 'c@x.com']), seeded.sightings);
    assert.deepEqual(await fresh.audit.query({}), seeded.events);
  };

  before(async () => {
    postgres = await startRealPostgres();
  });
  after(async () => {
    for (const store of opened) await store.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    await postgres?.destroy();
  });

  it('moves secrets, sightings and events; no secret file stays; the logs are kept as .moved, 0600', async () => {
    await resetDatabase();
    const seeded = await seed(3);
    const report = await moveFileStore(seeded.source, await open());
    assert.deepEqual(
      { secrets: report.secrets, firstSeen: report.firstSeen, auditEvents: report.auditEvents },
      {
        secrets: { moved: 3, alreadyThere: 0 },
        firstSeen: { moved: 3, alreadyThere: 0 },
        auditEvents: { moved: 3, alreadyThere: 0 },
      },
    );
    await assertAllThere(seeded);
    assert.deepEqual(secretFiles(seeded.dataDir), []);
    for (const name of [AUDIT_FILE_NAME, FIRST_SEEN_FILE_NAME]) {
      assert.equal(fs.existsSync(path.join(seeded.dataDir, name)), false, `${name} is gone`);
      assert.equal(fs.statSync(path.join(seeded.dataDir, `${name}.moved`)).mode & 0o777, 0o600);
    }
    const text = JSON.stringify(report);
    for (const value of seeded.secrets.values()) assert.ok(!text.includes(value.clientSecret));
  });

  it('moves the usage ledger: each day keeps its count, a day the target counted higher stays so', async () => {
    await resetDatabase();
    const seeded = await seed(1);
    const instance = 'https://123-abc-456.mktorest.com';
    const collection = (calls: number) => ({
      instance,
      collectedDay: '2030-06-21',
      coveredSince: '2030-06-15',
      rows: [
        { day: '2030-06-16', userid: 'a@x.com', calls },
        { day: '2030-06-20', userid: 'b@x.com', calls: 2 },
      ],
    });
    await seeded.source.usage.record(collection(3));
    const target = await open();
    await target.usage.record({ ...collection(5), rows: [collection(5).rows[0]!] });
    const report = await moveFileStore(seeded.source, target);
    assert.deepEqual(report.usageDays, { moved: 1, alreadyThere: 1 });
    assert.deepEqual(await target.usage.dailyCallsOf(instance, 'a@x.com'), [{ day: '2030-06-16', calls: 5 }]);
    assert.deepEqual(await target.usage.lastUsedOf(instance, ['b@x.com']), {
      coveredSince: '2030-06-15',
      lastCollected: '2030-06-21',
      lastUsed: { 'b@x.com': '2030-06-20' },
    });
    assert.equal(fs.existsSync(path.join(seeded.dataDir, USAGE_FILE_NAME)), false);
    assert.ok(report.keptAs.includes(path.join(seeded.dataDir, `${USAGE_FILE_NAME}.moved`)));
  });

  it('a second run moves nothing and changes nothing', async () => {
    await resetDatabase();
    const seeded = await seed(2);
    await moveFileStore(seeded.source, await open());
    const again = await moveFileStore(seeded.source, await open());
    assert.deepEqual(
      { secrets: again.secrets, firstSeen: again.firstSeen, auditEvents: again.auditEvents },
      {
        secrets: { moved: 0, alreadyThere: 0 },
        firstSeen: { moved: 0, alreadyThere: 0 },
        auditEvents: { moved: 0, alreadyThere: 0 },
      },
    );
    await assertAllThere(seeded);
  });

  it('a dry run says what would move and changes neither side', async () => {
    await resetDatabase();
    const seeded = await seed(2);
    const before = secretFiles(seeded.dataDir).sort();
    const report = await moveFileStore(seeded.source, await open(), { dryRun: true });
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.secrets, { moved: 2, alreadyThere: 0 });
    assert.deepEqual(report.auditEvents, { moved: 2, alreadyThere: 0 });
    assert.deepEqual(secretFiles(seeded.dataDir).sort(), before);
    assert.ok(fs.existsSync(path.join(seeded.dataDir, AUDIT_FILE_NAME)));
    const target = await open();
    assert.equal(await target.secrets.get(ref(1)), undefined);
    assert.deepEqual(await target.audit.query({}), []);
  });

  it('interrupted after two secrets, the source is untouched; run again, nothing is lost or doubled', async () => {
    await resetDatabase();
    const seeded = await seed(5);
    await assert.rejects(moveFileStore(seeded.source, failingAfter(await open(), 2)), /connection lost/);
    assert.equal(secretFiles(seeded.dataDir).length, 5, 'no secret file is deleted before all are copied');
    assert.ok(fs.existsSync(path.join(seeded.dataDir, AUDIT_FILE_NAME)));
    const resumed: MoveReport = await moveFileStore(seeded.source, await open());
    assert.deepEqual(resumed.secrets, { moved: 3, alreadyThere: 2 });
    assert.equal(resumed.auditEvents.moved + resumed.auditEvents.alreadyThere, 5);
    assert.equal(resumed.firstSeen.moved + resumed.firstSeen.alreadyThere, 3);
    await assertAllThere(seeded);
    assert.deepEqual(secretFiles(seeded.dataDir), []);
  });

  it('a secret changed on the files after an earlier, interrupted move arrives with its newer value', async () => {
    await resetDatabase();
    const seeded = await seed(2);
    await assert.rejects(moveFileStore(seeded.source, failingAfter(await open(), 1)), /connection lost/);
    // The deployment ran on the files again and rotated the first secret before the next attempt.
    seeded.secrets.set(ref(1), secret(11));
    await seeded.source.secrets.put(ref(1), seeded.secrets.get(ref(1))!);
    const resumed = await moveFileStore(seeded.source, await open());
    assert.deepEqual(resumed.secrets, { moved: 2, alreadyThere: 0 });
    await assertAllThere(seeded);
  });

  it('a file in the secret folder that is not one of its secrets stops the move before anything is copied', async () => {
    await resetDatabase();
    const seeded = await seed(1);
    const [file] = secretFiles(seeded.dataDir);
    // A secret file copied under another ref's name: moving it would hand one lifecycle's secret to another.
    fs.copyFileSync(
      path.join(seeded.dataDir, 'secrets', file!),
      path.join(seeded.dataDir, 'secrets', `${'0'.repeat(64)}.json`),
    );
    await assert.rejects(moveFileStore(seeded.source, await open()), /is not a secret file of this store/);
    assert.deepEqual(await (await open()).audit.query({}), []);
    assert.equal(secretFiles(seeded.dataDir).length, 2);
  });

  it('a userid named like an Object property (constructor, __proto__) moves like any other', async () => {
    await resetDatabase();
    const seeded = await seed(0);
    await seeded.source.firstSeen.recordFirstSeen(['constructor', '__proto__'], '2026-10-01T00:00:00.000Z');
    const report = await moveFileStore(seeded.source, await open());
    assert.deepEqual(report.firstSeen, { moved: 5, alreadyThere: 0 });
    assert.deepEqual(await (await open()).firstSeen.firstSeenOf(['constructor', '__proto__']), {
      constructor: '2026-10-01T00:00:00.000Z',
      ['__proto__']: '2026-10-01T00:00:00.000Z',
    });
  });

  it('refuses to move a file store onto itself, which would delete every secret', async () => {
    const seeded = await seed(1);
    const same = new FileStore({ dataDir: seeded.dataDir, secretDir: path.join(seeded.dataDir, 'secrets') });
    await assert.rejects(moveFileStore(seeded.source, same), /onto itself/);
    assert.equal(secretFiles(seeded.dataDir).length, 1);
  });

  it('removes the plaintext temp file of a write that never finished', async () => {
    await resetDatabase();
    const seeded = await seed(1);
    const [file] = secretFiles(seeded.dataDir);
    const torn = path.join(seeded.dataDir, 'secrets', `.${file}.4242.abcdef012345.tmp`);
    fs.writeFileSync(torn, '{"version":1', { mode: 0o600 });
    const report = await moveFileStore(seeded.source, await open());
    assert.equal(report.abandonedTempFiles, 1);
    assert.deepEqual(secretFiles(seeded.dataDir), []);
  });
});
