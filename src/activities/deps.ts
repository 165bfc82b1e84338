import type { AdminConsole } from '../marketo/admin-console';
import type { MarketoClient } from '../marketo/client';
import type { Notifier } from '../notifications';
import type { SecretStore } from '../security/secret-store';
import type { AuditLog, UsageLedger } from '../store/types';
import type { ManagedLifecycle } from './types';

/** What activities need from the outside world; the worker wires real ones, tests may wire others. */
export interface ActivityDeps {
  marketo: MarketoClient;
  adminConsole: AdminConsole;
  secrets: SecretStore;
  notifier: Notifier;
  /** Where lifecycle and sweep events are kept beyond Temporal's retention; never a secret. */
  audit: AuditLog;
  /** Per-user daily call counts from Marketo's Usage API, kept past Marketo's 7 days. */
  usage: UsageLedger;
  /** workflowIdKeyFingerprint of this worker's workflow-id key: lifecycles started with another are refused. */
  workflowIdKeyFingerprint: string;
  /** What the sweep needs beyond Marketo: which users lifecycles manage, and when it first saw each user. */
  sweep: SweepDeps;
}

export interface SweepDeps {
  /** Of these emails, those an active lifecycle of this instance manages (lowercased), with its expiry. */
  managedLifecyclesOf(emails: string[]): Promise<Record<string, ManagedLifecycle>>;
  /** The expiry a lifecycle holds now, or null when it no longer governs its user (revoked, ended, gone). */
  currentManagedExpiry(workflowId: string): Promise<string | null>;
  memory: SweepMemory;
}

export interface SweepMemory {
  /** Records `at` for users not seen before; returns every given user's first-seen date. */
  recordFirstSeen(userids: string[], at: string): Promise<Record<string, string>>;
  /** The recorded first-seen dates of those users that have one; records nothing (dry runs). */
  firstSeenOf(userids: string[]): Promise<Record<string, string>>;
}
