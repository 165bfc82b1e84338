import {
  auditEventSchema,
  auditFilterSchema,
  type AuditEvent,
  type AuditFilter,
  type AuditLog,
} from '../types';
import { InputError } from '../../errors';
import type { Database } from './db';
import { StoreCorruptError } from './errors';

interface AuditRow {
  id: string;
  at: Date;
  kind: string;
  email: string | null;
  workflow_id: string | null;
  actor: string;
  reason: string | null;
  detail: unknown;
}

// Names the field and the problem only: an event's values could be anything a caller put there.
function issueLines(issues: readonly { path: PropertyKey[]; message: string }[]): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`);
}

function toEvent(row: AuditRow): AuditEvent {
  const parsed = auditEventSchema.safeParse({
    id: row.id,
    at: row.at.toISOString(),
    kind: row.kind,
    email: row.email,
    workflowId: row.workflow_id,
    actor: row.actor,
    reason: row.reason,
    detail: row.detail,
  });
  if (!parsed.success) {
    throw new StoreCorruptError(
      `audit event ${JSON.stringify(row.id.slice(0, 100))} in the store is not a valid audit event`,
      'the audit_events table was changed outside the product; restore it from a backup',
    );
  }
  return parsed.data;
}

/**
 * The audit log: append-only (the database's own triggers refuse UPDATE, DELETE and TRUNCATE, so no code
 * path here can rewrite history), idempotent on the event id (a retried append is stored once; the first
 * one wins), read oldest first. `at` comes back in UTC.
 */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly db: Database) {}

  async append(event: AuditEvent): Promise<void> {
    const parsed = auditEventSchema.safeParse(event);
    if (!parsed.success) throw new InputError(issueLines(parsed.error.issues));
    const e = parsed.data;
    await this.db.transaction((tx) =>
      tx.query(
        `INSERT INTO audit_events (id, at, kind, email, workflow_id, actor, reason, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT (id) DO NOTHING`,
        [e.id, e.at, e.kind, e.email, e.workflowId, e.actor, e.reason, JSON.stringify(e.detail)],
      ),
    );
  }

  async knownIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await this.db.transaction((tx) =>
      tx.query<{ id: string }>('SELECT id FROM audit_events WHERE id = ANY($1::text[])', [ids]),
    );
    return new Set(rows.map((row) => row.id));
  }

  async query(filter: AuditFilter): Promise<AuditEvent[]> {
    const parsedFilter = auditFilterSchema.safeParse(filter);
    if (!parsedFilter.success) throw new InputError(issueLines(parsedFilter.error.issues));
    const f = parsedFilter.data;
    const { rows } = await this.db.transaction((tx) =>
      tx.query<AuditRow>(
        `SELECT id, at, kind, email, workflow_id, actor, reason, detail FROM audit_events
           WHERE ($1::text IS NULL OR lower(email) = lower($1))
             AND ($2::timestamptz IS NULL OR at >= $2)
             AND ($3::text[] IS NULL OR kind = ANY($3))
           ORDER BY at, seq LIMIT $4`,
        [f.email ?? null, f.since ?? null, f.kinds ?? null, f.limit],
      ),
    );
    return rows.map(toEvent);
  }
}
