import { z } from 'zod';

export const lifecyclePhaseSchema = z.enum([
  'provisioning',
  'awaiting-operator',
  'active',
  'deactivated',
  'failed',
]);
export type LifecyclePhase = z.infer<typeof lifecyclePhaseSchema>;

/**
 * `confirm-role`: a custom role of the requested name exists, and only an operator can see its permissions.
 * `retire-service`: a rotation's overlap ended and only an operator can delete the old custom service.
 */
export const operatorStepSchema = z.enum(['create-role', 'confirm-role', 'create-service', 'retire-service']);
export type OperatorStep = z.infer<typeof operatorStepSchema>;

export const pendingOperatorActionSchema = z.object({
  step: operatorStepSchema,
  /** Exactly what to create and where, one instruction a line. */
  instructions: z.array(z.string()),
  since: z.string(),
  deadline: z.string(),
  lastVerificationError: z.string().optional(),
  /** A rotation's step: when the operator is reminded next. */
  remindAt: z.string().optional(),
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

/** One custom service of the lifecycle's user, by client id and where its secret is stored. */
export const serviceRefSchema = z.object({ clientId: z.string(), secretRef: z.string() });
export type ServiceRef = z.infer<typeof serviceRefSchema>;

/**
 * A rotation in progress. `staging`: a second service is being made (or awaited from the operator); `overlap`:
 * both work, `clientId`/`secretRef` of the status are the new one; `retiring`: the old one is being deleted and
 * proven dead.
 */
export const rotationSchema = z.object({
  number: z.number().int().positive(),
  stage: z.enum(['staging', 'overlap', 'retiring']),
  requestedAt: z.string(),
  requestedBy: z.string(),
  reason: z.string().optional(),
  overlapMs: z.number().int().positive(),
  /** The service in use when the rotation started: it serves until the overlap ends, then dies. */
  retiring: serviceRefSchema,
  /** The second service while it is staged, before it verified. */
  staged: serviceRefSchema.optional(),
  overlapEndsAt: z.string().optional(),
  switchConfirmedAt: z.string().optional(),
  /** Proofs of the old service's death that failed so far (it still got a token). */
  failedProofs: z.number().int().nonnegative(),
  /** When retiring is due to be tried again after a failed proof. */
  retryAt: z.string().optional(),
});
export type Rotation = z.infer<typeof rotationSchema>;

/** The outcome of the last rotation, kept after it ends. */
export const lastRotationSchema = z.object({
  number: z.number().int().positive(),
  outcome: z.enum(['completed', 'abandoned']),
  at: z.string(),
  detail: z.string(),
  /** Completed: the retired service's client id and when it was proven dead. */
  retiredClientId: z.string().optional(),
  oldDeadAt: z.string().optional(),
});
export type LastRotation = z.infer<typeof lastRotationSchema>;

export const attestationDecisionSchema = z.enum(['keep', 'revoke']);
export type AttestationDecision = z.infer<typeof attestationDecisionSchema>;

/** The owner's attestations: the next ask, the one awaiting an answer, the last answer. */
export const attestationSchema = z.object({
  /** When the owner is asked next; absent while an ask waits for its answer, or without policy.attestEveryMs. */
  nextRequestAt: z.string().optional(),
  pending: z
    .object({
      requestedAt: z.string(),
      /** No answer by then locks the user. */
      deadline: z.string(),
      remindedAt: z.string().optional(),
      overdueNotifiedAt: z.string().optional(),
    })
    .optional(),
  last: z
    .object({
      at: z.string(),
      by: z.string(),
      decision: attestationDecisionSchema,
      note: z.string().optional(),
    })
    .optional(),
  /** Asks and answers so far: they number the audit events. */
  requests: z.number().int().nonnegative(),
  answers: z.number().int().nonnegative(),
});
export type Attestation = z.infer<typeof attestationSchema>;

export const deactivationCauseSchema = z.enum(['expired', 'revoked', 'attestation-missed']);
export type DeactivationCause = z.infer<typeof deactivationCauseSchema>;

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
      cause: deactivationCauseSchema,
      outcome: z.string(),
      reason: z.string().optional(),
    })
    .optional(),
  failure: z.object({ type: z.string(), message: z.string() }).optional(),
  rotation: rotationSchema.optional(),
  lastRotation: lastRotationSchema.optional(),
  /** When `policy.rotateEveryMs` starts the next rotation. */
  nextRotationAt: z.string().optional(),
  /** Rotations started so far (numbers them). */
  rotations: z.number().int().nonnegative().optional(),
  /** Who vouches for the access, and the ticket that asked for it. */
  owner: z.string().optional(),
  ticket: z.string().optional(),
  /** How many times the owner or ticket changed in place since the lifecycle began. */
  reassignments: z.number().optional(),
  attestation: attestationSchema.optional(),
  timeline: z.array(timelineEventSchema),
});
export type LifecycleStatus = z.infer<typeof lifecycleStatusSchema>;
