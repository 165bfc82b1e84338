/**
 * The shared store's contract: what workers, the CLI and `up` keep in PostgreSQL (or the embedded
 * Postgres-compatible default). Service credentials (encrypted with the keyring, key id beside each row),
 * the sweep's first-seen record, and an append-only audit log of every lifecycle event. Never a secret in
 * the audit log.
 */
import { z } from 'zod';
import type { SweepMemory } from '../activities/deps';
import type { UsageCollection, UsageLookup } from '../domain/usage';
import type { SecretStore } from '../security/secret-store';
import type { ReencryptReport } from './postgres/secrets';

export const AUDIT_EVENT_KINDS = [
  'onboarded',
  'operator-step-done',
  'extended',
  'revoked',
  'expired',
  'provisioning-failed',
  'drift-corrected',
  'sweep-action',
  'credentials-read',
  'rotated',
  'rotation-retired',
  'rotation-abandoned',
  'attestation-requested',
  'attested',
  'attestation-missed',
  'reassigned',
] as const;
export const auditEventKindSchema = z.enum(AUDIT_EVENT_KINDS);
export type AuditEventKind = z.infer<typeof auditEventKindSchema>;

const detailValue = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);

export const auditEventSchema = z.strictObject({
  /** Idempotency: a retried append of the same id is stored once (a workflow derives it from its id and step). */
  id: z.string().min(1).max(300),
  at: z.iso.datetime({ offset: true }),
  kind: auditEventKindSchema,
  /** Null for instance-wide events (a sweep's summary). */
  email: z.string().max(254).nullable(),
  workflowId: z.string().max(300).nullable(),
  /** Who: `lifecycle`, `sweep`, or the person or pipeline behind a CLI or client-API call. */
  actor: z.string().min(1).max(200),
  reason: z.string().max(1000).nullable(),
  detail: z.record(z.string().max(100), detailValue),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const auditFilterSchema = z.strictObject({
  email: z.string().max(254).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  kinds: z.array(auditEventKindSchema).optional(),
  limit: z.number().int().min(1).max(100_000).default(10_000),
});
export type AuditFilter = z.input<typeof auditFilterSchema>;

export interface AuditLog {
  /** Append-only and idempotent on `id`. */
  append(event: AuditEvent): Promise<void>;
  /** Oldest first. */
  query(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Which of these event ids the log holds: what a move into it would find already there. */
  knownIds(ids: string[]): Promise<Set<string>>;
}

/** Per-user daily call counts from Marketo's Usage API, kept past Marketo's 7 days. */
export interface UsageLedger {
  /**
   * Idempotent on (instance, day, userid): a day read again keeps the larger count (Marketo's count of a day
   * only grows until the day ends), so a retried or repeated collection changes nothing.
   */
  record(collection: UsageCollection): Promise<void>;
  /** The last day with calls of each of these users (case-insensitive), and since when the ledger counts. */
  lastUsedOf(instance: string, userids: string[]): Promise<UsageLookup>;
  /** One user's recorded days, oldest first. */
  dailyCallsOf(instance: string, userid: string): Promise<{ day: string; calls: number }[]>;
}

/** Everything that must outlive one machine, behind one connection. */
export interface Store {
  secrets: SecretStore;
  firstSeen: SweepMemory;
  audit: AuditLog;
  usage: UsageLedger;
  /**
   * After a key rotation, re-encrypts every secret not under the keyring's current key; only stores that
   * encrypt under the keyring have it (the file store keeps secrets in 0600 files instead).
   */
  reencryptSecrets?(): Promise<ReencryptReport>;
  close(): Promise<void>;
}
