import { z } from 'zod';
import { durationMsSchema, MS_PER_DAY } from './durations';
import { ACCESS_API_PERMISSIONS } from './permissions';

// ASCII only on purpose: a look-alike Unicode letter (Cyrillic "а" for Latin "a") would create a second user
// that reads like the first. Marketo user ids are emails, compared case-insensitively, so we lowercase.
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

// Names and labels are shown in Marketo's UI and our notifications: no control characters or markup.
const SAFE_TEXT = /^[^\p{Cc}<>]*$/u;

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .regex(EMAIL, 'must be a plain ASCII email address like name@example.com (no look-alike Unicode letters)');

const labelSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(SAFE_TEXT, 'must not contain control characters or < >');

export const labelSchemaForReason = labelSchema(500);

export const isoDateTimeSchema = z.iso.datetime({
  offset: true,
  message: 'must be an ISO-8601 date and time with a zone, like 2026-12-31T23:59:59Z',
});

/**
 * Marketo keeps expiries to the second (an invite takes no fraction), so an expiry with milliseconds would let
 * Marketo lock the user up to a second before the workflow's date. Every expiry is rounded up to a whole second.
 */
export function toWholeSecond(iso: string): string {
  return new Date(Math.ceil(Date.parse(iso) / 1000) * 1000).toISOString();
}

export const lifecyclePolicySchema = z
  .object({
    /** How long before the expiry the reminder goes out. */
    reminderLeadMs: durationMsSchema.default(7 * MS_PER_DAY),
    /** The longest access may last, counted from the lifecycle's creation: extensions cannot pass it. */
    maxLifetimeMs: durationMsSchema.default(365 * MS_PER_DAY),
    /** How long an operator step may stay pending before the run gives up and undoes what it made. */
    operatorStepDeadlineMs: durationMsSchema.default(7 * MS_PER_DAY),
    /** How often a pending operator step is announced again. */
    operatorReminderEveryMs: durationMsSchema.default(MS_PER_DAY),
  })
  // Strict: a misspelt field (`reminderLead`) would otherwise be dropped and its default used without a word.
  .strict();

export const roleRequestSchema = z
  .object({
    name: labelSchema(100),
    /** The new role's permissions, or exactly those of the existing custom role of that name. */
    permissions: z.array(z.enum(ACCESS_API_PERMISSIONS)).max(ACCESS_API_PERMISSIONS.length).default([]),
    /** A workspace id or name; 0 is "AllZones". */
    workspace: z.union([z.number().int().nonnegative(), labelSchema(100)]).default(0),
  })
  .strict();

/** What a pipeline asks for: one API-only user with its role and custom service, until an expiry. */
export const lifecycleRequestSchema = z
  .object({
    email: emailSchema,
    firstName: labelSchema(64),
    lastName: labelSchema(64),
    role: roleRequestSchema,
    reason: labelSchemaForReason.optional(),
    expiresAt: isoDateTimeSchema,
    service: z
      .object({
        displayName: labelSchema(100).optional(),
        description: labelSchema(500).optional(),
      })
      .strict()
      .default({}),
    policy: lifecyclePolicySchema.default({
      reminderLeadMs: 7 * MS_PER_DAY,
      maxLifetimeMs: 365 * MS_PER_DAY,
      operatorStepDeadlineMs: 7 * MS_PER_DAY,
      operatorReminderEveryMs: MS_PER_DAY,
    }),
  })
  .strict();

export type LifecycleRequestInput = z.input<typeof lifecycleRequestSchema>;
export type LifecycleRequest = z.output<typeof lifecycleRequestSchema>;
export type LifecyclePolicy = z.output<typeof lifecyclePolicySchema>;

export function serviceDisplayName(request: LifecycleRequest): string {
  return request.service.displayName ?? `API access for ${request.email}`.slice(0, 100);
}

export function serviceDescription(request: LifecycleRequest): string {
  return request.service.description ?? `Managed by marketo-api-users until ${request.expiresAt}`;
}

/**
 * Rules that depend on the clock, checked at the edge (client, CLI) with the real clock and again in the
 * workflow with workflow time. Returns problems as `field: problem`, empty when the request is acceptable.
 */
export function expiryProblems(
  expiresAtIso: string,
  nowMs: number,
  createdAtMs: number,
  policy: LifecyclePolicy,
): string[] {
  const expiresAt = Date.parse(expiresAtIso);
  const problems: string[] = [];
  if (!(expiresAt > nowMs)) problems.push('expiresAt: must be in the future');
  if (expiresAt > createdAtMs + policy.maxLifetimeMs) {
    problems.push(
      `expiresAt: must be within the maximum lifetime (${new Date(createdAtMs + policy.maxLifetimeMs).toISOString()})`,
    );
  }
  return problems;
}

/** zod issues as `field: problem` lines, the form the CLI prints and the errors carry. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map(
    (issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`,
  );
}
