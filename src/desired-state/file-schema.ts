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
  reminderLeadsSchema,
  requestedPolicySchema,
} from '../domain/lifecycle-request';
import { MAX_EXEMPT_PATTERN_LENGTH, MAX_EXEMPT_PATTERNS } from '../domain/sweep-policy';

/** A file for more users than this belongs split by team; the cap keeps one plan one screen of queries. */
export const MAX_DESIRED_USERS = 1000;

/**
 * The policies a reviewer reads most, spelt short at the entry's top level (`rotateEvery: 90d`, `attestEvery:
 * 90d`, `remind: [30d, 7d, 1d]`), each one field of the lifecycle policy.
 */
const POLICY_SHORTHANDS = {
  rotateEvery: 'rotateEveryMs',
  attestEvery: 'attestEveryMs',
  remind: 'reminderLeadsMs',
} as const;
type Shorthand = keyof typeof POLICY_SHORTHANDS;
const SHORTHANDS = Object.keys(POLICY_SHORTHANDS) as Shorthand[];

type WithShorthands = { policy: z.output<typeof requestedPolicySchema> } & Partial<
  Record<Shorthand, number | number[]>
>;

/** The entry with every shorthand moved into its policy field. */
function withPolicyShorthands<T extends WithShorthands>(entry: T): Omit<T, Shorthand> {
  const policy: Record<string, unknown> = { ...entry.policy };
  const rest: Record<string, unknown> = { ...entry };
  for (const short of SHORTHANDS) {
    if (entry[short] !== undefined) policy[POLICY_SHORTHANDS[short]] = entry[short];
    delete rest[short];
  }
  return { ...(rest as Omit<T, Shorthand>), policy: policy as T['policy'] };
}

/** Read on the entry as written: after parsing, a policy field with a default is always there. */
function shorthandsGivenTwice(raw: unknown): Shorthand[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const entry = raw as Record<string, unknown>;
  const policy = typeof entry.policy === 'object' && entry.policy !== null ? entry.policy : {};
  return SHORTHANDS.filter((short) => entry[short] !== undefined && POLICY_SHORTHANDS[short] in policy);
}

const desiredUserFieldsSchema = lifecycleRequestSchema
  .omit({ expiresAt: true, policy: true })
  .extend({
    expiresAt: isoDateTimeSchema.optional(),
    /** `90d`: the expiry is the first apply's time plus this, however often the file is applied. */
    lifetime: requestedLifetimeSchema.optional(),
    policy: requestedPolicySchema.prefault({}),
    rotateEvery: requestedPolicySchema.shape.rotateEveryMs,
    attestEvery: requestedPolicySchema.shape.attestEveryMs,
    remind: reminderLeadsSchema.optional(),
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
    for (const issue of attestationIssues(withPolicyShorthands(entry)))
      ctx.addIssue({ code: 'custom', ...issue });
  })
  .transform(withPolicyShorthands);

export const desiredUserSchema = z.preprocess((raw, ctx) => {
  for (const short of shorthandsGivenTwice(raw)) {
    ctx.addIssue({
      code: 'custom',
      path: [short],
      message: `give ${short} or policy.${POLICY_SHORTHANDS[short]}, not both`,
      input: raw,
    });
  }
  return raw;
}, desiredUserFieldsSchema);
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
