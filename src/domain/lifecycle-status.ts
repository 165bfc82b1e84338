import { z } from 'zod';

export const lifecyclePhaseSchema = z.enum([
  'provisioning',
  'awaiting-operator',
  'active',
  'deactivated',
  'failed',
]);
export type LifecyclePhase = z.infer<typeof lifecyclePhaseSchema>;

/** `confirm-role`: a custom role of the requested name exists, and only an operator can see its permissions. */
export const operatorStepSchema = z.enum(['create-role', 'confirm-role', 'create-service']);
export type OperatorStep = z.infer<typeof operatorStepSchema>;

export const pendingOperatorActionSchema = z.object({
  step: operatorStepSchema,
  /** Exactly what to create and where, one instruction a line. */
  instructions: z.array(z.string()),
  since: z.string(),
  deadline: z.string(),
  lastVerificationError: z.string().optional(),
});
export type PendingOperatorAction = z.infer<typeof pendingOperatorActionSchema>;

export const timelineEventSchema = z.object({
  at: z.string(),
  event: z.string(),
  detail: z.string().optional(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

export const driftSchema = z.object({
  detectedAt: z.string(),
  workflowExpiresAt: z.string(),
  marketoExpiresAt: z.string().nullable(),
  corrected: z.boolean(),
});
export type Drift = z.infer<typeof driftSchema>;

export const lifecycleStatusSchema = z.object({
  workflowId: z.string(),
  phase: lifecyclePhaseSchema,
  email: z.string(),
  roleName: z.string(),
  roleId: z.number().optional(),
  userId: z.string().optional(),
  marketoUserId: z.number().optional(),
  clientId: z.string().optional(),
  secretRef: z.string().optional(),
  expiresAt: z.string(),
  createdAt: z.string(),
  extensions: z.number(),
  pendingOperatorAction: pendingOperatorActionSchema.optional(),
  drift: z.array(driftSchema),
  deactivation: z
    .object({
      at: z.string(),
      cause: z.enum(['expired', 'revoked']),
      outcome: z.string(),
      reason: z.string().optional(),
    })
    .optional(),
  failure: z.object({ type: z.string(), message: z.string() }).optional(),
  timeline: z.array(timelineEventSchema),
});
export type LifecycleStatus = z.infer<typeof lifecycleStatusSchema>;
