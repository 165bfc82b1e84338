/**
 * The shapes Marketo sends and takes, as zod schemas: the single source of the client's types.
 *
 * Responses are read tolerantly, because the documentation, the Swagger files and real instances disagree:
 * codes come as numbers or quoted strings, `hidden`/`isHidden`, `onlyAllZones`/`isOnlyAllZones` and
 * `userid`/`userId` are both spelled, dates come in every form `parseMarketoDate` knows (or null), and
 * fields nobody documented are dropped without complaint. Requests are checked strictly before they leave.
 */
import { z } from 'zod';
import { parseMarketoDate } from './datetime';

// ---------------------------------------------------------------------------------------------------------
// Building blocks

/** A Marketo error code: `606` and `"606"` are the same code. */
export const MarketoCodeSchema = z.union([z.number(), z.string()]).transform((code) => String(code).trim());

/** An integer sent as a number or as a numeric string. */
export const MarketoIntSchema = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform((text) => Number(text)),
]);

/** A date in any form Marketo emits, as a `Date`. */
export const MarketoDateSchema = z.string().transform((text, ctx) => {
  try {
    return parseMarketoDate(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a Marketo date' });
    return z.NEVER;
  }
});

/** An optional date: absent, null and "" all mean "none" (for example a user that never expires). */
export const OptionalMarketoDateSchema = z
  .union([z.null(), z.literal(''), MarketoDateSchema])
  .optional()
  .transform((value) => (value instanceof Date ? value : null));

const OptionalText = z
  .string()
  .nullish()
  .transform((value) => value ?? null);

/** Copies a value found under an alternative spelling to the canonical key before validation. */
function withAliases<T extends z.ZodType>(aliases: Readonly<Record<string, string>>, schema: T) {
  return z.preprocess((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const copy: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
    for (const [alias, canonical] of Object.entries(aliases)) {
      if (copy[canonical] === undefined && copy[alias] !== undefined) copy[canonical] = copy[alias];
    }
    return copy;
  }, schema);
}

// ---------------------------------------------------------------------------------------------------------
// Errors and identity

export const MarketoErrorItemSchema = z.object({
  code: MarketoCodeSchema.optional(),
  message: z.string().nullish(),
});

/** The failure part of any body: User Management's `{errors}` or standard REST's `{success:false, errors}`. */
export const MarketoFailureBodySchema = z.object({
  success: z.boolean().optional(),
  errors: z.array(z.unknown()).optional(),
});

/** OAuth-style identity failure: `{ error: "invalid_client", error_description }`. */
export const OAuthErrorBodySchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
});

export const IdentityResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: MarketoIntSchema.pipe(z.number().int().nonnegative()),
  scope: z.string(),
});
export type IdentityResponse = z.infer<typeof IdentityResponseSchema>;

// ---------------------------------------------------------------------------------------------------------
// User Management responses

export const UserRoleWorkspaceSchema = z.object({
  accessRoleId: MarketoIntSchema,
  accessRoleName: OptionalText,
  workspaceId: MarketoIntSchema,
  // The Swagger types this an integer by mistake; every example is a name.
  workspaceName: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((value) => (value === null || value === undefined ? null : String(value))),
});
export type MarketoUserRole = z.infer<typeof UserRoleWorkspaceSchema>;

export const UserRoleListSchema = z.array(UserRoleWorkspaceSchema);

export const UserSummarySchema = withAliases(
  { userId: 'userid' },
  z.object({
    userid: z.string().min(1),
    firstName: OptionalText,
    lastName: OptionalText,
    emailAddress: z.string(),
    id: MarketoIntSchema.optional(),
    apiOnly: z.boolean(),
  }),
);
export type MarketoUserSummary = z.infer<typeof UserSummarySchema>;
export const UserSummaryListSchema = z.array(UserSummarySchema);

export const UserSchema = withAliases(
  { userId: 'userid' },
  z.object({
    userid: z.string().min(1),
    firstName: OptionalText,
    lastName: OptionalText,
    emailAddress: z.string(),
    optedIn: z.boolean().optional(),
    failedLogins: MarketoIntSchema.nullish(),
    failedDeviceCode: MarketoIntSchema.nullish(),
    isLocked: z.boolean(),
    lockedReason: OptionalText,
    id: MarketoIntSchema.optional(),
    apiOnly: z.boolean(),
    userRoleWorkspaces: UserRoleListSchema.nullish().transform((roles) => roles ?? []),
    expiresAt: OptionalMarketoDateSchema,
    lastLoginAt: OptionalMarketoDateSchema,
    // Not in Marketo's documented record; kept when an instance (or the sandbox) sends it.
    createdAt: OptionalMarketoDateSchema,
  }),
);
export type MarketoUser = z.infer<typeof UserSchema>;

export const InvitedUserSchema = withAliases(
  { userId: 'userid' },
  z.object({
    id: MarketoIntSchema.optional(),
    firstName: OptionalText,
    lastName: OptionalText,
    emailAddress: z.string(),
    userid: z.string().min(1),
    subscriptionId: z
      .union([z.string(), z.number()])
      .nullish()
      .transform((value) => (value === null || value === undefined ? null : String(value))),
    status: z.string(),
    expiresAt: OptionalMarketoDateSchema,
    createdAt: OptionalMarketoDateSchema,
    updatedAt: OptionalMarketoDateSchema,
  }),
);
export type MarketoInvitedUser = z.infer<typeof InvitedUserSchema>;

export const RoleSchema = withAliases(
  { isHidden: 'hidden', isOnlyAllZones: 'onlyAllZones' },
  z.object({
    id: MarketoIntSchema,
    name: z.string(),
    description: OptionalText,
    type: OptionalText,
    hidden: z.boolean().default(false),
    onlyAllZones: z.boolean().default(false),
    createdAt: OptionalMarketoDateSchema,
    updatedAt: OptionalMarketoDateSchema,
  }),
);
export type MarketoRole = z.infer<typeof RoleSchema>;
export const RoleListSchema = z.array(RoleSchema);

export const WorkspaceSchema = z.object({
  id: MarketoIntSchema,
  name: z.string(),
  description: OptionalText,
  globalViz: MarketoIntSchema.nullish(),
  status: OptionalText,
  // A string in the Swagger, null in every example: kept as it came.
  currencyInfo: z.unknown().optional(),
  createdAt: OptionalMarketoDateSchema,
  updatedAt: OptionalMarketoDateSchema,
});
export type MarketoWorkspace = z.infer<typeof WorkspaceSchema>;
export const WorkspaceListSchema = z.array(WorkspaceSchema);

/**
 * Endpoints that answer "OK" (invite: the literal `true`; deletes: an empty 200). Anything but an explicit
 * `false` counts as done: the status and the `errors` check already decided success.
 */
export const AcknowledgementSchema = z
  .unknown()
  .refine((value) => value !== false && value !== 'false', 'expected an acknowledgement, got false')
  .transform(() => undefined);

// ---------------------------------------------------------------------------------------------------------
// Requests

/** A date to send: a `Date`, or a string already in a form Marketo reads (checked, sent as given). */
export const DateInputSchema = z.union([
  z.date().refine((date) => !Number.isNaN(date.getTime()), 'expected a valid Date'),
  z.string().refine((text) => {
    try {
      parseMarketoDate(text);
      return true;
    } catch {
      return false;
    }
  }, 'expected an ISO-8601 or Marketo date'),
]);
export type DateInput = z.infer<typeof DateInputSchema>;

export const RoleWorkspacePairSchema = z.object({
  accessRoleId: z.number().int().nonnegative(),
  workspaceId: z.number().int().nonnegative(),
});
export type RoleWorkspacePair = z.infer<typeof RoleWorkspacePairSchema>;
export const RoleWorkspacePairsSchema = z.array(RoleWorkspacePairSchema).min(1, 'expected at least one pair');

export const InviteUserInputSchema = z.object({
  emailAddress: z.email(),
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  userRoleWorkspaces: RoleWorkspacePairsSchema,
  /** Defaults to the email address on Marketo's side. */
  userid: z.string().min(1).optional(),
  apiOnly: z.boolean().optional(),
  /** Omitted: never expires. */
  expiresAt: DateInputSchema.optional(),
  reason: z.string().optional(),
});
export type InviteUserInput = z.input<typeof InviteUserInputSchema>;

export const UpdateUserInputSchema = z
  .object({
    emailAddress: z.email().optional(),
    firstName: z.string().min(1).optional(),
    lastName: z.string().min(1).optional(),
    expiresAt: DateInputSchema.optional(),
    apiOnly: z.boolean().optional(),
  })
  .strict()
  .refine(
    (patch) => Object.values(patch).some((value) => value !== undefined),
    'expected at least one field',
  );
export type UpdateUserInput = z.input<typeof UpdateUserInputSchema>;

export const ListUsersParamsSchema = z.object({
  pageOffset: z.number().int().nonnegative().default(0),
  pageSize: z.number().int().min(1).max(200).default(20),
});
export type ListUsersParams = z.input<typeof ListUsersParamsSchema>;

/** Describes the first zod issue as `field 'a.b': message`, for error messages that name the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = issue.path.map(String).join('.');
  return path ? `field '${path}': ${issue.message}` : issue.message;
}

// ---------------------------------------------------------------------------------------------------------
// Usage API (standard REST: `{requestId, success, result}`; the result is what the client returns)

const MarketoDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD day');
const CountSchema = MarketoIntSchema.pipe(z.number().int().min(0));

export const DailyUsageSchema = z.object({
  date: MarketoDaySchema,
  total: CountSchema,
  users: z
    .array(z.object({ userId: z.string().min(1), count: CountSchema }))
    .nullish()
    .transform((users) => users ?? []),
});
export type MarketoDailyUsage = z.infer<typeof DailyUsageSchema>;

export const DailyErrorsSchema = z.object({
  date: MarketoDaySchema,
  total: CountSchema,
  errors: z
    .array(z.object({ errorCode: MarketoCodeSchema, count: CountSchema }))
    .nullish()
    .transform((errors) => errors ?? []),
});
export type MarketoDailyErrors = z.infer<typeof DailyErrorsSchema>;

function restResult<S extends z.ZodType>(item: S) {
  return z
    .object({ success: z.literal(true), result: z.array(item).nullish() })
    .transform((body) => body.result ?? []);
}

export const UsageResponseSchema = restResult(DailyUsageSchema);
export const ErrorsResponseSchema = restResult(DailyErrorsSchema);
