import { z } from 'zod';
import { actorSchema, isoDateTimeSchema, labelSchemaForReason } from './lifecycle-request';
import { operatorStepSchema } from './lifecycle-status';

export const extendInputSchema = z
  .object({ expiresAt: isoDateTimeSchema, actor: actorSchema.optional() })
  .strict();
export type ExtendInput = z.infer<typeof extendInputSchema>;

export const revokeInputSchema = z
  .object({ reason: labelSchemaForReason.optional(), actor: actorSchema.optional() })
  .strict();
export type RevokeInput = z.infer<typeof revokeInputSchema>;

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
]);
export type CompleteOperatorStepInput = z.infer<typeof completeOperatorStepInputSchema>;
export { operatorStepSchema };
