/**
 * The compliance report: every API-only user of the instance, managed or hand-made, with its lifecycle's
 * owner, attestation and rotation age. Marketo is read by a worker (src/workflows/report/read.ts), a page
 * per workflow so no answer nears Temporal's payload limit; lifecycles from visibility, then each managed
 * user's status Query, a few at a time.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowClient } from '@temporalio/client';
import { z } from 'zod';
import { mapLimited } from '../domain/map-limited';
import { TemporalUnavailableError } from '../errors';
import { listFromVisibility, type LifecycleSummary } from '../lifecycle-list';
import type { reportReadWorkflow } from '../workflows';
import { requestQuery, statusQuery } from '../workflows/messages';
import {
  REPORT_PAGE_SIZE,
  reportRolesSchema,
  reportUsersPageSchema,
  type ReportMarketoUser,
  type ReportReadInput,
  type ReportRoles,
} from './marketo-read';
import { reportRow, reportStatusSchema, type ManagedBy, type ReportRow, type ReportStatus } from './rows';

/** One page's read: 100 user.json calls at the budget's pace, with room for a busy instance's retries. */
const READ_TIMEOUT_MS = 10 * 60_000;

export const reportInputSchema = z
  .object({
    /** Lifecycle status Queries in flight at once (each may replay a history on a worker). */
    statusConcurrency: z.number().int().min(1).max(32).default(8),
  })
  .strict();
export type ReportInput = z.input<typeof reportInputSchema>;

/** Each userid's last day of use, as the usage ledger knows it; the composition wires it where there is one. */
export type LastUsedLookup = (
  userids: string[],
) => Promise<(userid: string) => { lastUsedAt: string | null }>;

export interface ReportTarget {
  workflows: WorkflowClient;
  taskQueue: string;
  workflowIdFor(email: string): string;
  lastUsedOf?: LastUsedLookup;
}

export interface ComplianceReport {
  generatedAt: string;
  rows: ReportRow[];
  /** Managed users whose lifecycle did not answer its status Query: owner, attestation and rotation are empty. */
  statusesUnanswered: string[];
}

async function runRead(target: ReportTarget, input: ReportReadInput): Promise<unknown> {
  try {
    return await target.workflows.execute<typeof reportReadWorkflow>('reportReadWorkflow', {
      taskQueue: target.taskQueue,
      workflowId: `marketo-api-users-report-read-${randomUUID()}`,
      workflowExecutionTimeout: READ_TIMEOUT_MS,
      args: [input],
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new TemporalUnavailableError(
      `The report could not read Marketo's users (${cause.split('\n')[0]}).`,
      'Check that a worker of this version runs (`marketo-api-users up` or `marketo-api-users worker`) and that Marketo answers, then run the report again.',
    );
  }
}

async function readApiOnlyUsers(target: ReportTarget, progress: (text: string) => void) {
  const byUserid = new Map<string, ReportMarketoUser>();
  for (let pageOffset = 0, pages = 1; ; pages++) {
    progress(`reading Marketo: page ${pages}, ${byUserid.size} API-only users so far`);
    const answer = await runRead(target, { read: 'users', pageOffset, pageSize: REPORT_PAGE_SIZE });
    const page = reportUsersPageSchema.parse(answer);
    // A user added meanwhile shifts the pages: one seen twice is kept once.
    for (const user of page.users) byUserid.set(user.userid.toLowerCase(), user);
    if (page.listed < REPORT_PAGE_SIZE) return [...byUserid.values()];
    pageOffset += page.listed;
  }
}

async function readRoles(target: ReportTarget, users: ReportMarketoUser[]): Promise<ReportRoles> {
  const roleIds = [...new Set(users.flatMap((u) => u.roles.map((r) => r.accessRoleId)))].sort(
    (a, b) => a - b,
  );
  return reportRolesSchema.parse(await runRead(target, { read: 'roles', roleIds }));
}

const requestedRoleSchema = z.object({ role: z.object({ permissions: z.array(z.string()).default([]) }) });

async function statusOf(target: ReportTarget, workflowId: string): Promise<ReportStatus | null> {
  try {
    const parsed = reportStatusSchema.safeParse(
      await target.workflows.getHandle(workflowId).query(statusQuery),
    );
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The permissions the lifecycle asked for; a second Query, so asked only where the instance does not tell. */
async function requestedPermissionsOf(target: ReportTarget, workflowId: string): Promise<string[]> {
  try {
    const parsed = requestedRoleSchema.safeParse(
      await target.workflows.getHandle(workflowId).query(requestQuery),
    );
    return parsed.success ? parsed.data.role.permissions : [];
  } catch {
    return [];
  }
}

async function managedBy(
  target: ReportTarget,
  summary: LifecycleSummary,
  permissionsKnown: (roleId: number) => boolean,
): Promise<ManagedBy> {
  const { workflowId, phase } = summary;
  const status = await statusOf(target, workflowId);
  if (status?.roleId === undefined || permissionsKnown(status.roleId)) return { workflowId, phase, status };
  return {
    workflowId,
    phase,
    status,
    requestedPermissions: await requestedPermissionsOf(target, workflowId),
  };
}

/** The lifecycle of each user's email that visibility knows, with its status. */
async function lifecyclesOf(
  target: ReportTarget,
  users: ReportMarketoUser[],
  roles: ReportRoles,
  concurrency: number,
  progress: (text: string) => void,
): Promise<Map<string, ManagedBy>> {
  const visible = new Map<string, LifecycleSummary>();
  for (const summary of await listFromVisibility(target.workflows, {}))
    visible.set(summary.workflowId, summary);
  // Joined by the workflow id the email has on this instance: another instance's lifecycles never match.
  const matched = users.flatMap((u) => {
    const summary = visible.get(target.workflowIdFor(u.email.toLowerCase()));
    return summary ? [{ email: u.email.toLowerCase(), summary }] : [];
  });
  const told = new Set(roles.roles.filter((r) => r.permissions !== null).map((r) => r.id));
  let asked = 0;
  const lifecycles = await mapLimited(matched, concurrency, async ({ summary }) => {
    const managed = await managedBy(target, summary, (roleId) => told.has(roleId));
    progress(`reading lifecycles: ${++asked} of ${matched.length}`);
    return managed;
  });
  return new Map(matched.map(({ email }, i) => [email, lifecycles[i]!]));
}

export async function buildComplianceReport(
  target: ReportTarget,
  input: z.output<typeof reportInputSchema>,
  progress: (text: string) => void = () => undefined,
): Promise<ComplianceReport> {
  const users = await readApiOnlyUsers(target, progress);
  progress(`reading roles: ${users.length} API-only users`);
  const roles = await readRoles(target, users);
  const managed = await lifecyclesOf(target, users, roles, input.statusConcurrency, progress);
  const lastUsed = target.lastUsedOf
    ? await target.lastUsedOf(users.map((u) => u.userid))
    : () => ({ lastUsedAt: null });
  const sources = {
    roles: new Map(roles.roles.map((r) => [r.id, r])),
    workspaces: new Map(roles.workspaces.map((w) => [w.id, w.name])),
    selfEmail: roles.selfEmail,
    managedBy: (email: string) => managed.get(email),
    lastUsedAt: (userid: string) => lastUsed(userid).lastUsedAt,
    nowMs: Date.now(),
  };
  const rows = users.map((u) => reportRow(u, sources)).sort((a, b) => a.email.localeCompare(b.email));
  const statusesUnanswered = [...managed].filter(([, m]) => m.status === null).map(([email]) => email);
  return { generatedAt: new Date(sources.nowMs).toISOString(), rows, statusesUnanswered };
}
