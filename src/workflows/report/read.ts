/**
 * The compliance report's reads of Marketo, run by a worker because only workers hold Marketo's credentials:
 * either one allusers.json page with user.json for each of its API-only users, or the roles (and workspaces)
 * those users hold with their permissions where the instance tells them. The client runs one per page and
 * loops, so no answer nears Temporal's payload limit. Every Marketo call is a one-call activity on the Marketo
 * queue, so a report stays inside the call budget shared with every lifecycle and sweep.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { MarketoActivities, SupportActivities, UserSummaryView } from '../../activities/types';
import { mapLimited } from '../../domain/map-limited';
import { formatIssues } from '../../domain/lifecycle-request';
import {
  reportReadInputSchema,
  type ReportMarketoUser,
  type ReportReadInput,
  type ReportRoleInfo,
  type ReportRoles,
  type ReportUsersPage,
} from '../../report/marketo-read';
import { DETAIL_CONCURRENCY, waitedReads, type WaitedReads as Reads } from '../waited-reads';

async function detailOf(marketo: MarketoActivities, summary: UserSummaryView): Promise<ReportMarketoUser[]> {
  const user = await marketo.getUser(summary.userid);
  if (!user) return [];
  const { userid, id, firstName, lastName, isLocked, lockedReason, expiresAt, roles } = user;
  const email = user.emailAddress || summary.email;
  return [{ userid, id, email, firstName, lastName, isLocked, lockedReason, expiresAt, roles }];
}

async function readUsersPage(
  { marketo }: Reads,
  pageOffset: number,
  pageSize: number,
): Promise<ReportUsersPage> {
  const page = await marketo.listUsersPage(pageOffset, pageSize);
  const apiOnly = page.filter((u) => u.apiOnly);
  const details = await mapLimited(apiOnly, DETAIL_CONCURRENCY, (u) => detailOf(marketo, u));
  return { listed: page.length, users: details.flat() };
}

/** A role's permissions, or null where the instance does not tell or the role vanished meanwhile. */
async function permissionsOf(support: SupportActivities, roleId: number): Promise<string[] | null> {
  try {
    return await support.getRolePermissions(roleId);
  } catch {
    return null;
  }
}

async function readRoles({ marketo, support }: Reads, roleIds: number[]): Promise<ReportRoles> {
  const [context, roles, workspaces] = await Promise.all([
    support.getSweepContext(),
    marketo.listRoles(),
    marketo.listWorkspaces(),
  ]);
  const wanted = new Set(roleIds);
  const held = roles.filter((role) => wanted.has(role.id));
  const withPermissions = await mapLimited(
    held,
    DETAIL_CONCURRENCY,
    async (role): Promise<ReportRoleInfo> => ({
      ...role,
      permissions: await permissionsOf(support, role.id),
    }),
  );
  return {
    selfEmail: context.selfEmail.toLowerCase(),
    roles: withPermissions,
    workspaces: workspaces.map(({ id, name }) => ({ id, name })),
  };
}

function parseInput(rawInput: ReportReadInput): ReportReadInput {
  const parsed = reportReadInputSchema.safeParse(rawInput);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    message: `The report's read was refused: ${formatIssues(parsed.error).join('; ')}`,
    nonRetryable: true,
  });
}

export async function reportReadWorkflow(rawInput: ReportReadInput): Promise<ReportUsersPage | ReportRoles> {
  const input = parseInput(rawInput);
  const reads = waitedReads();
  if (input.read === 'users') return readUsersPage(reads, input.pageOffset, input.pageSize);
  return readRoles(reads, input.roleIds);
}
