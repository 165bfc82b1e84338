/**
 * Keeps the lifecycle's search attributes in step with its status: upserted when the run starts (a
 * continued-as-new run too) and at every phase change or extension, so visibility answers `list` and the Web UI
 * without asking the workflow. Never the email: visibility stores search attributes unencrypted.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { MANAGED_BY, MauExpiresAt, MauManagedBy, MauPhase, MauRole } from '../../domain/search-attributes';
import type { LifecycleStatus } from '../../domain/lifecycle-status';

export function publishVisibility(status: Pick<LifecycleStatus, 'phase' | 'expiresAt' | 'roleName'>): void {
  upsertSearchAttributes([
    { key: MauPhase, value: status.phase },
    { key: MauExpiresAt, value: new Date(status.expiresAt) },
    { key: MauRole, value: status.roleName },
    { key: MauManagedBy, value: MANAGED_BY },
  ]);
}
