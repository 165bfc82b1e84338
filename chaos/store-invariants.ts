/**
 * The chaos run's invariants on the shared store, read from the PostgreSQL database itself after the run:
 * nothing lost (every lifecycle that ends active has its custom service's secret in the store, and it is the
 * secret the sandbox issued for that client id), no secret left behind (no row for a lifecycle that expired or
 * was revoked, no row that no active lifecycle owns, no captured secret in any audit row), and an audit log
 * with one `onboarded` per onboarded lifecycle and one `expired` or `revoked` per lifecycle that ended so.
 *
 * `checkStoreInvariants` is pure: test/chaos/store-invariants.test.ts drives it with fixtures, including the
 * broken stores it must report. `readStoreFacts` reads what it checks. Failure lines name refs, workflow ids
 * and client ids, never a secret.
 */
import { createHash } from 'node:crypto';
import { ProblemError } from '../src/errors';
import { lifecycleSecretRef, ownSecretRefPrefix } from '../src/domain/secret-refs';
import type { Keyring } from '../src/security/keyring';
import { PostgresAuditLog } from '../src/store/postgres/audit';
import { openDatabase } from '../src/store/postgres/db';
import { SecretCipher } from '../src/store/postgres/secrets';
import type { AuditEvent } from '../src/store/types';
import { invariantTally } from './invariant-tally';

export const STORE_INVARIANTS = [
  '5-store-nothing-lost',
  '6-store-no-secret-left',
  '7-audit-once-each',
] as const;
type StoreInvariant = (typeof STORE_INVARIANTS)[number];

/** How a lifecycle ended up, from Temporal; `undefined` when unknown or failed (invariant 0 reports those). */
export interface LifecycleOutcome {
  workflowId: string;
  end: 'active' | 'expired' | 'revoked' | undefined;
  /** It became active at some point (an `onboarded` event is due). */
  onboarded: boolean;
  /** The workflow's own view, for those that end active. */
  clientId?: string;
  secretRef?: string;
}

export type StoredSecret =
  | { ref: string; clientId: string; clientSecret: string }
  | { ref: string; unreadable: string };

export interface StoreFacts {
  secrets: StoredSecret[];
  audit: AuditEvent[];
  /** The sha256 (hex) of each custom service's secret as the sandbox keeps it, by client id. */
  sandboxSecretSha256: ReadonlyMap<string, string>;
  /** Every client secret the workers handed the store: none may show in an audit row. */
  capturedSecrets: readonly string[];
}

export interface StoreReport {
  invariants: Record<StoreInvariant, { checked: number; failed: number }>;
  failures: string[];
  counts: {
    secretRows: number;
    unreadableSecretRows: number;
    activeWithSecret: number;
    endedWithoutSecret: number;
    auditEvents: number;
    auditByKind: Record<string, number>;
  };
}

type Check = (name: StoreInvariant, ok: boolean, message: () => string) => boolean;

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function ownerOf(ref: string, lifecycles: readonly LifecycleOutcome[]): LifecycleOutcome | undefined {
  return lifecycles.find((lc) => ref.startsWith(ownSecretRefPrefix(lc.workflowId)));
}

/** Each active lifecycle's secret is there, readable, its service's, and the one the sandbox issued. */
function checkNothingLost(lifecycles: readonly LifecycleOutcome[], facts: StoreFacts, check: Check): number {
  let held = 0;
  for (const lc of lifecycles) {
    if (lc.end !== 'active') continue;
    const ref = lc.secretRef ?? lifecycleSecretRef(lc.workflowId);
    const row = facts.secrets.find((s) => s.ref === ref);
    const name = '5-store-nothing-lost';
    if (!row || 'unreadable' in row) {
      check(name, false, () =>
        row
          ? `${ref} does not decrypt: ${row.unreadable}`
          : `${lc.workflowId} is active but ${ref} has no row`,
      );
      continue;
    }
    const stored = row;
    const issued = facts.sandboxSecretSha256.get(stored.clientId);
    const ok =
      check(name, stored.clientId === lc.clientId, () => {
        return `${ref} holds client id ${stored.clientId}, the workflow's service is ${lc.clientId ?? '-'}`;
      }) &&
      check(name, issued !== undefined && sha256Hex(stored.clientSecret) === issued, () => {
        const why = issued === undefined ? 'the sandbox has no such service' : 'not the secret it issued';
        return `${ref}: the stored secret of ${stored.clientId} does not match the sandbox's (${why})`;
      });
    if (ok) held++;
  }
  return held;
}

/** No row for an ended lifecycle, none no active lifecycle owns, no captured secret in an audit row. */
function checkNothingLeft(lifecycles: readonly LifecycleOutcome[], facts: StoreFacts, check: Check): number {
  const name = '6-store-no-secret-left';
  let clean = 0;
  for (const lc of lifecycles) {
    if (lc.end !== 'expired' && lc.end !== 'revoked') continue;
    const prefix = ownSecretRefPrefix(lc.workflowId);
    const left = facts.secrets.filter((s) => s.ref.startsWith(prefix)).map((s) => s.ref);
    if (check(name, left.length === 0, () => `${lc.workflowId} ${lc.end} but left ${left.join(', ')}`))
      clean++;
  }
  for (const row of facts.secrets) {
    const owner = ownerOf(row.ref, lifecycles);
    check(name, owner?.end === 'active', () => {
      const whose = owner ? `of ${owner.workflowId}, ${owner.end ?? 'ended unknown'}` : 'of no lifecycle';
      return `secret row ${row.ref} (${whose}) is left behind`;
    });
  }
  for (const event of facts.audit) {
    const text = JSON.stringify(event);
    const holds = facts.capturedSecrets.some((secret) => secret.length > 0 && text.includes(secret));
    check(name, !holds, () => `audit event ${event.id} holds a client secret`);
  }
  return clean;
}

/** One `onboarded` per onboarded lifecycle, one `expired`/`revoked` as it ended, no event id twice. */
function checkAuditOnceEach(lifecycles: readonly LifecycleOutcome[], facts: StoreFacts, check: Check): void {
  const name = '7-audit-once-each';
  const seen = new Set<string>();
  for (const event of facts.audit) {
    check(name, !seen.has(event.id), () => `audit event id ${event.id} stored twice`);
    seen.add(event.id);
  }
  const ofKind = (workflowId: string, kind: string) =>
    facts.audit.filter((e) => e.workflowId === workflowId && e.kind === kind).length;
  for (const lc of lifecycles) {
    if (lc.end === undefined) continue;
    const expected = {
      onboarded: lc.onboarded ? 1 : 0,
      expired: lc.end === 'expired' ? 1 : 0,
      revoked: lc.end === 'revoked' ? 1 : 0,
    };
    for (const [kind, want] of Object.entries(expected)) {
      const got = ofKind(lc.workflowId, kind);
      check(
        name,
        got === want,
        () => `${lc.workflowId} (${lc.end}) has ${got} \`${kind}\` events, not ${want}`,
      );
    }
  }
  const known = new Set(lifecycles.map((lc) => lc.workflowId));
  for (const event of facts.audit) {
    if (!['onboarded', 'expired', 'revoked'].includes(event.kind)) continue;
    check(
      name,
      event.workflowId !== null && known.has(event.workflowId),
      () => `audit event ${event.id} (${event.kind}) belongs to no lifecycle of the run`,
    );
  }
}

export function checkStoreInvariants(
  lifecycles: readonly LifecycleOutcome[],
  facts: StoreFacts,
): StoreReport {
  const { invariants, failures, check } = invariantTally(STORE_INVARIANTS);
  const activeWithSecret = checkNothingLost(lifecycles, facts, check);
  const endedWithoutSecret = checkNothingLeft(lifecycles, facts, check);
  checkAuditOnceEach(lifecycles, facts, check);
  const auditByKind: Record<string, number> = {};
  for (const e of facts.audit) auditByKind[e.kind] = (auditByKind[e.kind] ?? 0) + 1;
  return {
    invariants,
    failures,
    counts: {
      secretRows: facts.secrets.length,
      unreadableSecretRows: facts.secrets.filter((s) => 'unreadable' in s).length,
      activeWithSecret,
      endedWithoutSecret,
      auditEvents: facts.audit.length,
      auditByKind,
    },
  };
}

interface SecretRow {
  ref: string;
  key_id: string;
  nonce: Buffer;
  ciphertext: Buffer;
}

/** Every secret row (decrypted with the run's keyring) and every audit event, straight from the database. */
export async function readStoreFacts(
  databaseUrl: string,
  keyring: Keyring,
): Promise<Pick<StoreFacts, 'secrets' | 'audit'>> {
  const db = await openDatabase({ databaseUrl, poolMax: 1 });
  try {
    const audit = await new PostgresAuditLog(db).query({ limit: 100_000 });
    const { rows } = await db.transaction((tx) =>
      tx.query<SecretRow>('SELECT ref, key_id, nonce, ciphertext FROM secrets ORDER BY ref'),
    );
    const cipher = new SecretCipher(keyring);
    const secrets = rows.map((row): StoredSecret => {
      try {
        const { clientId, clientSecret } = cipher.open(row);
        return { ref: row.ref, clientId, clientSecret };
      } catch (error) {
        return { ref: row.ref, unreadable: error instanceof ProblemError ? error.problem : 'unreadable' };
      }
    });
    return { secrets, audit };
  } finally {
    await db.close();
  }
}
