/**
 * What a plan reads from Marketo, through the worker (which alone holds Marketo's credentials): who the
 * orchestrator is, what its admin console can do, the roles, and the users of the emails the plan would act on.
 * zod only, so the workflow that reads it shares the types, and the client checks the workflow's answer.
 */
import { z } from 'zod';

/** More emails than a file holds (its users and the lifecycles it would revoke) is not a plan's read. */
export const MAX_READ_EMAILS = 5000;

export const marketoReadInputSchema = z
  .object({ emails: z.array(z.string().max(320)).max(MAX_READ_EMAILS) })
  .strict();
export type MarketoReadInput = z.infer<typeof marketoReadInputSchema>;

const rolePairSchema = z.object({ accessRoleId: z.number(), workspaceId: z.number() });

export const marketoUserSeenSchema = z.object({
  /** Lowercased, as the plan compares emails. */
  email: z.string(),
  userid: z.string(),
  apiOnly: z.boolean(),
  /** user.json of an API-only user; null for a user who is not API-only (never touched, so not read). */
  detail: z
    .object({
      id: z.number(),
      firstName: z.string(),
      lastName: z.string(),
      isLocked: z.boolean(),
      lockedReason: z.string().nullable(),
      expiresAt: z.string().nullable(),
      roles: z.array(rolePairSchema),
    })
    .nullable(),
});
export type MarketoUserSeen = z.infer<typeof marketoUserSeenSchema>;

export const marketoReadingSchema = z.object({
  /** The API-only user whose custom service the product authenticates with (its token's scope), lowercased. */
  selfEmail: z.string(),
  /** False on a real instance: roles and custom services are then an operator's steps. */
  canCreateRoles: z.boolean(),
  canCreateServices: z.boolean(),
  roles: z.array(z.object({ id: z.number(), name: z.string(), type: z.string().nullable() })),
  /** Of the emails asked about, those Marketo has. */
  users: z.array(marketoUserSeenSchema),
  /** allusers.json pages read: one listing, however many users the file names. */
  pagesListed: z.number().int(),
});
export type MarketoReading = z.infer<typeof marketoReadingSchema>;
