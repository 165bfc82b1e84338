/**
 * What the compliance report reads from Marketo through a worker (which alone holds Marketo's credentials):
 * one allusers.json page at a time with user.json for its API-only users, then the roles those users hold.
 * zod only, so the workflow that reads shares the types and the client checks each answer. A page is small
 * (at most 100 users) so no answer nears Temporal's payload limit, however large the instance.
 */
import { z } from 'zod';

/** Users per allusers.json page: 100 user.json reads take about 40 s inside the budget of 50 calls per 20 s. */
export const REPORT_PAGE_SIZE = 100;

/** More distinct roles than this held by API-only users is not an instance this report was sized for. */
export const MAX_REPORT_ROLES = 2000;

export const reportReadInputSchema = z.discriminatedUnion('read', [
  z
    .object({
      read: z.literal('users'),
      pageOffset: z.number().int().nonnegative(),
      pageSize: z.number().int().min(1).max(200),
    })
    .strict(),
  z
    .object({
      read: z.literal('roles'),
      roleIds: z.array(z.number().int().nonnegative()).max(MAX_REPORT_ROLES),
    })
    .strict(),
]);
export type ReportReadInput = z.infer<typeof reportReadInputSchema>;

export const reportMarketoUserSchema = z.object({
  userid: z.string(),
  id: z.number(),
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  isLocked: z.boolean(),
  lockedReason: z.string().nullable(),
  expiresAt: z.string().nullable(),
  roles: z.array(z.object({ accessRoleId: z.number(), workspaceId: z.number() })),
});
export type ReportMarketoUser = z.infer<typeof reportMarketoUserSchema>;

export const reportUsersPageSchema = z.object({
  /** Users on the allusers.json page, API-only or not: fewer than the page size means the last page. */
  listed: z.number().int().nonnegative(),
  /** The page's API-only users with their user.json; one deleted meanwhile is left out. */
  users: z.array(reportMarketoUserSchema),
});
export type ReportUsersPage = z.infer<typeof reportUsersPageSchema>;

export const reportRoleInfoSchema = z.object({
  id: z.number(),
  name: z.string(),
  type: z.string().nullable(),
  /** Where the instance tells them (the sandbox's console); null on a real instance, which has no API for it. */
  permissions: z.array(z.string()).nullable(),
});
export type ReportRoleInfo = z.infer<typeof reportRoleInfoSchema>;

export const reportRolesSchema = z.object({
  /** The product's own API-only user (its token's scope), lowercased. */
  selfEmail: z.string(),
  /** The roles asked about that roles.json has. */
  roles: z.array(reportRoleInfoSchema),
  workspaces: z.array(z.object({ id: z.number(), name: z.string() })),
});
export type ReportRoles = z.infer<typeof reportRolesSchema>;
