/**
 * Keeps the lifecycle's search attributes in step with its status: upserted when the run starts (a
 * continued-as-new run too) and at every phase change or extension, so visibility answers `list` and the Web UI
 * without asking the workflow. Never the email: visibility stores search attributes unencrypted.
 */
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import {
  EMAIL_MEMO_FIELD,
  OWNER_MEMO_FIELD,
  TICKET_MEMO_FIELD,
  MANAGED_BY,
  MauExpiresAt,
  MauManagedBy,
  MauPhase,
  MauRole,
} from '../../domain/search-attributes';
import type { LifecycleStatus } from '../../domain/lifecycle-status';

export function publishVisibility(status: Pick<LifecycleStatus, 'phase' | 'expiresAt' | 'roleName'>): void {
  upsertSearchAttributes([
    { key: MauPhase, value: status.phase },
    { key: MauExpiresAt, value: new Date(status.expiresAt) },
    { key: MauRole, value: status.roleName },
    { key: MauManagedBy, value: MANAGED_BY },
  ]);
}

/**
 * The email for `list` and the sweep, whoever started the run: a memo goes through the payload codec, so it is
 * encrypted like the input that already holds the email.
 */
export function publishEmail(email: string): void {
  upsertMemo({ [EMAIL_MEMO_FIELD]: email });
}

type OwnerFields = Pick<LifecycleStatus, 'owner' | 'ticket'>;

/** The owner and ticket for `list`, in the memo for the same reason as the email; nothing when neither is set. */
export function publishOwner({ owner, ticket }: OwnerFields): void {
  if (owner === undefined && ticket === undefined) return;
  upsertMemo({
    ...(owner !== undefined ? { [OWNER_MEMO_FIELD]: owner } : {}),
    ...(ticket !== undefined ? { [TICKET_MEMO_FIELD]: ticket } : {}),
  });
}

/** After a reassignment: both fields as they are now, a cleared one removed from the memo. */
export function republishOwner({ owner, ticket }: OwnerFields): void {
  upsertMemo({ [OWNER_MEMO_FIELD]: owner ?? null, [TICKET_MEMO_FIELD]: ticket ?? null });
}
