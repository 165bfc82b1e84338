/**
 * The desired-state file: one file per Marketo instance, a `users:` list whose entries are spelled like the
 * client API's onboard input, with the expiry as a date (`expiresAt`) or as a `lifetime` counted from the
 * first apply that created the user. zod here is the single source of truth for what the file may say.
 */
import { z } from 'zod';
import {
  attestationIssues,
  isoDateTimeSchema,
  lifecycleRequestSchema,
  requestedLifetimeSchema,
  requestedPolicySchema,
} from '../domain/lifecycle-request';
import { durationAtLeast, MIN_ROTATE_EVERY_MS } from '../domain/durations';
import { MAX_EXEMPT_PATTERN_LENGTH, MAX_EXEMPT_PATTERNS } from '../domain/sweep-policy';

/** A file for more users than this belongs split by team; the cap keeps one plan one screen of queries. */
export const MAX_DESIRED_USERS = 1000;

export const desiredUserSchema = lifecycleRequestSchema
  .omit({ expiresAt: true, policy: true })
  .extend({
    expiresAt: isoDateTimeSchema.optional(),
    /** `90d`: the expiry is the first apply's time plus this, however often the file is applied. */
    lifetime: requestedLifetimeSchema.optional(),
    policy: requestedPolicySchema.prefault({}),
    /** `90d`: rotates the secret on a durable schedule (policy.rotateEveryMs, spelt as the issue asks). */
    rotateEvery: durationAtLeast(MIN_ROTATE_EVERY_MS).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if ((entry.expiresAt === undefined) === (entry.lifetime === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['expiresAt'],
        message: 'give exactly one of expiresAt or lifetime',
      });
    }
    if (entry.rotateEvery !== undefined && entry.policy.rotateEveryMs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rotateEvery'],
        message: 'give rotateEvery or policy.rotateEveryMs, not both',
      });
    }
    for (const issue of attestationIssues(entry)) ctx.addIssue({ code: 'custom', ...issue });
  })
  .transform(({ rotateEvery, ...entry }) =>
    rotateEvery === undefined ? entry : { ...entry, policy: { ...entry.policy, rotateEveryMs: rotateEvery } },
  );
export type DesiredUser = z.output<typeof desiredUserSchema>;

const protectedPatternSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_EXEMPT_PATTERN_LENGTH, `at most ${MAX_EXEMPT_PATTERN_LENGTH} characters`);

export const desiredStateFileSchema = z
  .object({
    users: z
      .array(desiredUserSchema)
      .max(MAX_DESIRED_USERS, `at most ${MAX_DESIRED_USERS} users in one file`),
    /**
     * Emails or patterns (`*`, `?`, as the sweep's exempt list) that no apply ever creates, changes or
     * revokes, whatever the file or a previous apply says: break-glass and integration owners' own users.
     */
    protected: z
      .array(protectedPatternSchema)
      .max(MAX_EXEMPT_PATTERNS, `at most ${MAX_EXEMPT_PATTERNS} patterns`)
      .default([]),
  })
  .strict();
export type DesiredStateFile = z.output<typeof desiredStateFileSchema>;
