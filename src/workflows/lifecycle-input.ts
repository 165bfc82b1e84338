import { z } from 'zod';

// zod declares itself free of side effects, so webpack drops its English messages from the workflow bundle:
// without this, validators in workflows answer "Invalid input" instead of saying what is wrong. Where the worker
// preloads zod (src/workflows/shared-modules.ts) it is configured there once and frozen: configure only if not.
if (!z.config().localeError) z.config(z.locales.en());
import { actorSchema, lifecycleRequestSchema } from '../domain/lifecycle-request';
import { lifecycleStatusSchema } from '../domain/lifecycle-status';

/** What the workflow carries across continue-as-new, beyond the status it shows. */
export const carriedStateSchema = z.object({
  status: lifecycleStatusSchema,
  /** The reminder lead times handled for `expiresAt`; another expiry starts with none. */
  reminded: z.object({ expiresAt: z.string(), leadsMs: z.array(z.number()) }).optional(),
});
export type CarriedState = z.infer<typeof carriedStateSchema>;

/**
 * The lifecycle that ended before this one for the same email: its API-only user still exists in Marketo
 * (ending locks it, never deletes it), so this run adopts that user instead of refusing it as not its own.
 */
export const previousLifecycleSchema = z
  .object({
    /** Marketo's numeric user id (`id`), which a hand-made user of the same email would not share. */
    marketoUserId: z.number().int().positive(),
    /** Its custom service, which must not serve the new lifecycle. */
    clientId: z.string().min(1).max(200).optional(),
  })
  .strict();
export type PreviousLifecycle = z.infer<typeof previousLifecycleSchema>;

/**
 * A hand-made API-only user (no lifecycle ever had it) that the starter saw and means to take over, by its
 * Marketo user id: should the email name another user by the time the run gets there, it is refused as usual.
 */
export const adoptedUserSchema = z.object({ marketoUserId: z.number().int().positive() }).strict();
export type AdoptedUser = z.infer<typeof adoptedUserSchema>;

export const lifecycleWorkflowInputSchema = z.object({
  request: lifecycleRequestSchema,
  /**
   * Not to be given: the workflow derives its secret ref from its own workflow id. Kept only so that a starter
   * naming another ref (another lifecycle's, to have it overwritten or deleted) is refused, not silently ignored.
   */
  secretRef: z.string().max(300).optional(),
  /** workflowIdKeyFingerprint of the starter's workflow-id key: the worker refuses a lifecycle started with another. */
  workflowIdKeyFingerprint: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'must be the 16 hex digits of workflowIdKeyFingerprint'),
  /** History length after which the run continues as new; tests lower it. */
  continueAsNewAfterEvents: z.number().int().min(50).max(50_000).default(2_000),
  carried: carriedStateSchema.optional(),
  previous: previousLifecycleSchema.optional(),
  adopt: adoptedUserSchema.optional(),
  /** Who onboarded, for the audit log; `lifecycle` when the starter did not say. */
  actor: actorSchema.optional(),
});
export type LifecycleWorkflowInput = z.input<typeof lifecycleWorkflowInputSchema>;
export type ParsedLifecycleWorkflowInput = z.output<typeof lifecycleWorkflowInputSchema>;
