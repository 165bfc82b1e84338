import { z } from 'zod';
import { parseMarketoDate } from '../marketo/datetime';

/**
 * The email pattern of Marketo's Swagger (InviteUserRequest.emailAddress), after a length cap, except its
 * first character class `[^"]`, which lets any Unicode (look-alikes, NUL) through: the first character is
 * held to the same ASCII set as the rest of the local part.
 */
const SWAGGER_EMAIL = /^("?)(?:[-\w.!#$%&'*+/=?^_`{|}~])+\1@(\w[-\w]{0,62}\.)+[A-Za-z]{2,63}$/;
/** userids on Adobe Identity subscriptions may be generated GUIDs rather than addresses. */
const GUID_LIKE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const emailSchema = z
  .string()
  .max(254, 'at most 254 characters')
  .regex(SWAGGER_EMAIL, 'not a valid email address');

const useridSchema = z
  .string()
  .max(254, 'at most 254 characters')
  .refine((text) => SWAGGER_EMAIL.test(text) || GUID_LIKE.test(text), 'must be an email address or a GUID');

const nameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(255, 'at most 255 characters')
  // eslint-disable-next-line no-control-regex
  .refine((text) => !/[\u0000-\u001f\u007f]/.test(text), 'must not contain control characters');

/** ISO-8601 with an offset (or any form Marketo itself emits), as epoch milliseconds. */
export const isoDateSchema = z.string().transform((text, ctx) => {
  try {
    return parseMarketoDate(text).getTime();
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an ISO-8601 date-time with an offset, e.g. 2026-12-31T23:59:59-05:00',
    });
    return z.NEVER;
  }
});

const marketoId = z.number().int().min(0).max(2_147_483_647);

export const roleWorkspacePairSchema = z.object({ accessRoleId: marketoId, workspaceId: marketoId });

export const inviteUserSchema = z.object({
  emailAddress: emailSchema,
  firstName: nameSchema,
  lastName: nameSchema,
  userRoleWorkspaces: z.array(roleWorkspacePairSchema).min(1, 'at least one role').max(100),
  userid: useridSchema.optional(),
  apiOnly: z.boolean().optional(),
  expiresAt: isoDateSchema.optional(),
  reason: z.string().max(2000).optional(),
});

export const updateUserSchema = z
  .object({
    emailAddress: emailSchema.optional(),
    firstName: nameSchema.optional(),
    lastName: nameSchema.optional(),
    expiresAt: isoDateSchema.optional(),
    apiOnly: z.boolean().optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), 'nothing to update');

/**
 * The docs show a bare array, the Swagger `{input:[...]}`: both are accepted. A bare array is wrapped
 * first so that errors name the offending item (`input.0.accessRoleId`) whatever shape was sent.
 */
export const roleChangeSchema = z.preprocess(
  (body) => (Array.isArray(body) ? { input: body } : body),
  z
    .object({ input: z.array(roleWorkspacePairSchema).min(1, 'at least one role').max(100) })
    .transform((body) => body.input),
);

const nonNegativeIntText = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a non-negative integer')
  .transform(Number);

export const allUsersQuerySchema = z.object({
  pageOffset: nonNegativeIntText.optional().default(0),
  pageSize: nonNegativeIntText
    .refine((size) => size >= 1 && size <= 200, 'must be between 1 and 200')
    .optional()
    .default(20),
});

export const identityParamsSchema = z.object({
  grant_type: z.string().min(1),
  client_id: z.string().min(1).max(512),
  client_secret: z.string().min(1).max(512),
});

// ---- /sandbox/* operator endpoints ----

export const createRoleSchema = z.object({
  name: nameSchema,
  description: z.string().max(2000).optional().default(''),
  permissions: z.array(z.string()).min(1, 'at least one permission').max(100),
});

export const createServiceSchema = z
  .object({
    displayName: nameSchema,
    description: z.string().max(2000).optional().default(''),
    apiOnlyUserId: z.union([z.number().int(), z.string().min(1).max(254)]).optional(),
    userid: z.string().min(1).max(254).optional(),
    email: z.string().min(1).max(254).optional(),
  })
  .refine(
    (body) => [body.apiOnlyUserId, body.userid, body.email].filter((v) => v !== undefined).length === 1,
    'name the owning API-only user with exactly one of apiOnlyUserId, userid, email',
  );

export const seedUsersSchema = z.strictObject({
  count: z.number().int().min(1).max(20_000),
  apiOnly: z.boolean().optional().default(true),
  expiresAt: isoDateSchema.optional(),
  prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,40}$/, 'lowercase letters, digits, dots and dashes')
    .optional()
    .default('seeded'),
  userRoleWorkspaces: z.array(roleWorkspacePairSchema).min(1).max(10).optional(),
});
