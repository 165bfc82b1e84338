import { z } from 'zod';
import { MAX_DURATION_MS, MIN_OVERLAP_MS } from './durations';
import {
  actorSchema,
  emailSchema,
  isoDateTimeSchema,
  labelSchemaForReason,
  ticketSchema,
} from './lifecycle-request';
import { attestationDecisionSchema, operatorStepSchema } from './lifecycle-status';

export const extendInputSchema = z
  .object({ expiresAt: isoDateTimeSchema, actor: actorSchema.optional() })
  .strict();
export type ExtendInput = z.infer<typeof extendInputSchema>;

/**
 * A new owner or ticket, in place: the user, its custom service and the credentials the integration holds stay
 * as they are. `null` clears one; an owner cannot be cleared while the policy asks the owner to attest.
 */
export const reassignInputSchema = z
  .object({
    owner: emailSchema.nullable().optional(),
    ticket: ticketSchema.nullable().optional(),
    actor: actorSchema.optional(),
    reason: labelSchemaForReason.optional(),
  })
  .strict()
  .refine((input) => input.owner !== undefined || input.ticket !== undefined, {
    message: 'give an owner or a ticket (or both) to change',
    path: ['owner'],
  });
export type ReassignInput = z.input<typeof reassignInputSchema>;

export const revokeInputSchema = z
  .object({ reason: labelSchemaForReason.optional(), actor: actorSchema.optional() })
  .strict();
export type RevokeInput = z.infer<typeof revokeInputSchema>;

/** The owner vouches for the access (keep) or withdraws it (revoke); either resets the attestation clock. */
export const attestInputSchema = z
  .object({
    by: actorSchema,
    note: labelSchemaForReason.optional(),
    decision: attestationDecisionSchema.default('keep'),
  })
  .strict();
export type AttestInput = z.input<typeof attestInputSchema>;

/** Starts a rotation: a second service, both working for `overlapMs`, then the old one retired and proven dead. */
export const rotateInputSchema = z
  .object({
    overlapMs: z.number().int().min(MIN_OVERLAP_MS).max(MAX_DURATION_MS),
    actor: actorSchema.optional(),
    reason: labelSchemaForReason.optional(),
  })
  .strict();
export type RotateInput = z.infer<typeof rotateInputSchema>;

/** The consumer switched to the new credentials: the old service can be retired before the overlap ends. */
export const confirmSwitchInputSchema = z.object({ actor: actorSchema.optional() }).strict();
export type ConfirmSwitchInput = z.infer<typeof confirmSwitchInputSchema>;

/** A LaunchPoint custom service's client id, as the operator copies it from Marketo's Admin. */
export const marketoClientIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\w-]+$/, 'must be a Marketo client id (letters, digits, - and _)');

export const completeOperatorStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('create-role') }).strict(),
  /** The operator checked that this role, by id, has exactly the requested permissions. */
  z.object({ step: z.literal('confirm-role'), roleId: z.number().int().nonnegative() }).strict(),
  z
    .object({
      step: z.literal('create-service'),
      clientId: marketoClientIdSchema,
      /** Where the operator's tool stored the secret; the secret itself never enters the workflow. */
      secretRef: z.string().min(1).max(300),
    })
    .strict(),
  /** The operator deleted the retiring custom service; the workflow proves it with the old credentials. */
  z.object({ step: z.literal('retire-service') }).strict(),
]);
export type CompleteOperatorStepInput = z.infer<typeof completeOperatorStepInputSchema>;
export { operatorStepSchema };
