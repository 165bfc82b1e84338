/**
 * The compliance report's rows: Marketo's API-only users joined with the lifecycles that manage them. Pure: the
 * reads happen in ./build.ts. The row schema is the report's contract with auditors: its keys are the JSON
 * fields and the CSV columns, documented in the README; add columns, never rename them.
 */
import { z } from 'zod';
import type { ReportMarketoUser, ReportRoleInfo } from './marketo-read';

const MS_PER_DAY = 86_400_000;

export const reportRoleSchema = z.object({
  roleId: z.number(),
  /** null when roles.json no longer has the role. */
  roleName: z.string().nullable(),
  workspaceId: z.number(),
  workspaceName: z.string().nullable(),
  /** null where neither the instance tells (a real Marketo has no API for it) nor a lifecycle asked for them. */
  permissions: z.array(z.string()).nullable(),
  /**
   * `instance`: read from the instance (the sandbox's console). `requested`: the permissions the managing
   * lifecycle asked the role to have (created with them, or confirmed by the operator); an admin may have
   * changed the role since, which only the Admin UI shows.
   */
  permissionsSource: z.enum(['instance', 'requested']).nullable(),
});
export type ReportRole = z.infer<typeof reportRoleSchema>;

export const reportRowSchema = z.object({
  email: z.string(),
  userid: z.string(),
  marketoUserId: z.number(),
  name: z.string(),
  /** `this-product`: the API-only user whose custom service this product itself authenticates with. */
  management: z.enum(['managed', 'hand-made', 'this-product']),
  workflowId: z.string().nullable(),
  phase: z.string().nullable(),
  owner: z.string().nullable(),
  ticket: z.string().nullable(),
  roles: z.array(reportRoleSchema),
  expiresAt: z.string().nullable(),
  locked: z.boolean(),
  lockedReason: z.string().nullable(),
  /** Day precision, from the usage ledger; null when nothing is recorded. */
  lastUsedAt: z.string().nullable(),
  lastAttestedAt: z.string().nullable(),
  activatedAt: z.string().nullable(),
  /** When the last completed rotation proved the old credentials dead; null when never rotated. */
  lastRotatedAt: z.string().nullable(),
  /** Whole days since lastRotatedAt, or since activatedAt when never rotated; null for hand-made users. */
  rotationAgeDays: z.number().int().nonnegative().nullable(),
});
export type ReportRow = z.infer<typeof reportRowSchema>;

/**
 * The parts of a lifecycle's status the report reads, each optional: owner, ticket and attestation come with
 * the attestation work, and reading them through this schema fills their columns as soon as statuses carry them.
 */
export const reportStatusSchema = z.object({
  phase: z.string(),
  createdAt: z.string(),
  roleId: z.number().optional(),
  owner: z.string().optional(),
  ticket: z.string().optional(),
  attestation: z.object({ last: z.object({ at: z.string() }).optional() }).optional(),
  lastRotation: z.object({ outcome: z.string(), at: z.string() }).optional(),
  timeline: z.array(z.object({ at: z.string(), event: z.string() })),
});
export type ReportStatus = z.infer<typeof reportStatusSchema>;

/** A lifecycle of a row's email: from visibility, with its status when it answered the query. */
export interface ManagedBy {
  workflowId: string;
  phase: string;
  status: ReportStatus | null;
  /** The permissions the lifecycle asked its role (status.roleId) to have, read only where the instance does not tell. */
  requestedPermissions?: string[];
}

export interface RowSources {
  roles: ReadonlyMap<number, ReportRoleInfo>;
  workspaces: ReadonlyMap<number, string>;
  selfEmail: string;
  /** The lifecycle managing this email, if any. */
  managedBy(email: string): ManagedBy | undefined;
  lastUsedAt(userid: string): string | null;
  nowMs: number;
}

function latestAt(status: ReportStatus, event: string): string | null {
  const found = status.timeline.filter((e) => e.event === event).map((e) => e.at);
  return found.length ? found.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b)) : null;
}

/**
 * The last completed rotation: the status keeps only the last rotation's outcome, so an abandoned one after a
 * completed one would hide it; the timeline's "old credentials dead" events keep the completed ones.
 */
function lastRotatedAt(status: ReportStatus): string | null {
  const fromTimeline = latestAt(status, 'old credentials dead');
  const last = status.lastRotation?.outcome === 'completed' ? status.lastRotation.at : null;
  if (!fromTimeline || !last) return fromTimeline ?? last;
  return Date.parse(fromTimeline) >= Date.parse(last) ? fromTimeline : last;
}

function daysSince(at: string | null, nowMs: number): number | null {
  if (at === null) return null;
  return Math.max(0, Math.floor((nowMs - Date.parse(at)) / MS_PER_DAY));
}

type LifecycleColumns = Pick<
  ReportRow,
  | 'workflowId'
  | 'phase'
  | 'owner'
  | 'ticket'
  | 'lastAttestedAt'
  | 'activatedAt'
  | 'lastRotatedAt'
  | 'rotationAgeDays'
>;

function lifecycleColumns(managed: ManagedBy | undefined, nowMs: number): LifecycleColumns {
  const status = managed?.status ?? null;
  const activatedAt = status ? latestAt(status, 'active') : null;
  const rotatedAt = status ? lastRotatedAt(status) : null;
  return {
    workflowId: managed?.workflowId ?? null,
    phase: status?.phase ?? managed?.phase ?? null,
    owner: status?.owner ?? null,
    ticket: status?.ticket ?? null,
    lastAttestedAt: status?.attestation?.last?.at ?? null,
    activatedAt,
    lastRotatedAt: rotatedAt,
    rotationAgeDays: daysSince(rotatedAt ?? activatedAt, nowMs),
  };
}

type Permissions = Pick<ReportRole, 'permissions' | 'permissionsSource'>;

function permissionsOf(roleId: number, sources: RowSources, managed: ManagedBy | undefined): Permissions {
  const known = sources.roles.get(roleId)?.permissions;
  if (known) return { permissions: known, permissionsSource: 'instance' };
  const requested = managed?.status?.roleId === roleId ? managed.requestedPermissions : undefined;
  if (requested?.length) return { permissions: requested, permissionsSource: 'requested' };
  return { permissions: null, permissionsSource: null };
}

function rolesOf(user: ReportMarketoUser, sources: RowSources, managed: ManagedBy | undefined): ReportRole[] {
  return user.roles.map(({ accessRoleId, workspaceId }) => ({
    roleId: accessRoleId,
    roleName: sources.roles.get(accessRoleId)?.name ?? null,
    workspaceId,
    workspaceName: sources.workspaces.get(workspaceId) ?? null,
    ...permissionsOf(accessRoleId, sources, managed),
  }));
}

function managementOf(
  email: string,
  managed: ManagedBy | undefined,
  selfEmail: string,
): ReportRow['management'] {
  if (managed) return 'managed';
  return email === selfEmail ? 'this-product' : 'hand-made';
}

export function reportRow(user: ReportMarketoUser, sources: RowSources): ReportRow {
  const email = user.email.toLowerCase();
  const managed = sources.managedBy(email);
  return {
    email,
    userid: user.userid,
    marketoUserId: user.id,
    name: `${user.firstName} ${user.lastName}`.trim(),
    management: managementOf(email, managed, sources.selfEmail),
    roles: rolesOf(user, sources, managed),
    expiresAt: user.expiresAt,
    locked: user.isLocked,
    lockedReason: user.lockedReason,
    lastUsedAt: sources.lastUsedAt(user.userid),
    ...lifecycleColumns(managed, sources.nowMs),
  };
}
