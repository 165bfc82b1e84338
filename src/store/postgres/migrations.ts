import type { Database, Tx } from './db';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, one step per version. A step once released is never edited: a change is a new step. Each
 * runs in the transaction that records it, so a step is applied whole or not at all.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'secrets, first sightings, append-only audit log',
    sql: `
      CREATE TABLE secrets (
        ref        text PRIMARY KEY,
        key_id     text NOT NULL,
        nonce      bytea NOT NULL,
        ciphertext bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX secrets_key_id ON secrets (key_id);

      CREATE TABLE first_seen (
        userid        text PRIMARY KEY,
        first_seen_at text NOT NULL
      );

      CREATE TABLE audit_events (
        seq         bigserial PRIMARY KEY,
        id          text NOT NULL UNIQUE,
        at          timestamptz NOT NULL,
        kind        text NOT NULL,
        email       text,
        workflow_id text,
        actor       text NOT NULL,
        reason      text,
        detail      jsonb NOT NULL
      );
      CREATE INDEX audit_events_at ON audit_events (at, seq);
      CREATE INDEX audit_events_email ON audit_events (lower(email), at, seq);

      CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END
      $$;
      CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
    `,
  },
  {
    version: 2,
    name: 'usage ledger: calls per instance, day and API user, and the days it covers',
    sql: `
      CREATE TABLE usage_daily (
        instance text NOT NULL,
        day      text NOT NULL,
        userid   text NOT NULL,
        calls    integer NOT NULL CHECK (calls >= 0),
        PRIMARY KEY (instance, userid, day)
      );

      CREATE TABLE usage_coverage (
        instance       text PRIMARY KEY,
        covered_since  text NOT NULL,
        last_collected text NOT NULL
      );
    `,
  },
];

/** Any constant works; this one is `mau-migr` as ASCII bytes, so another tool's lock is unlikely to collide. */
const MIGRATION_LOCK_KEY = '7881709660844681074';

async function pendingIn(tx: Tx, migrations: readonly Migration[]): Promise<Migration[]> {
  await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((row) => row.version));
  return migrations.filter((migration) => !applied.has(migration.version));
}

/**
 * Brings the schema up to date; returns the versions it applied. Workers starting at once each try: the
 * transaction-scoped advisory lock, taken before anything is read or created, makes the second wait for the
 * first to commit and then find nothing left to do. The lock ends with the transaction, so a process that
 * dies mid-way never leaves it held.
 */
export async function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`);
    const pending = await pendingIn(tx, migrations);
    for (const migration of pending) {
      await tx.query(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
    }
    return pending.map((migration) => migration.version);
  });
}
