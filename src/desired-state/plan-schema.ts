/**
 * A plan: what an apply would do, one action per user. Saved as JSON (`plan --out`) and read back by `apply
 * plan.json`, so these schemas are both the types and the check of a saved plan.
 */
import { z } from 'zod';
import { desiredStateFileSchema } from './file-schema';

const email = z.string();
const why = z.string();
/** What a person must do in Marketo's admin console for this change, on an instance where software cannot. */
const operatorSteps = z.array(z.string()).optional();

export const plannedActionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('create'),
    email,
    entry: z.number().int().nonnegative(),
    /** Absolute, or absent when the expiry is the apply's time plus `lifetimeMs` (a first apply). */
    expiresAt: z.string().optional(),
    lifetimeMs: z.number().optional(),
    firstAppliedAt: z.string().optional(),
    why,
    operatorSteps,
  }),
  /** A hand-made API-only user (no lifecycle ever had it) the file now describes: a lifecycle takes it over. */
  z.object({
    kind: z.literal('adopt'),
    email,
    entry: z.number().int().nonnegative(),
    /** The user the plan saw: the lifecycle takes over only this one, so a user made anew meanwhile is refused. */
    marketoUserId: z.number().int().positive(),
    expiresAt: z.string().optional(),
    lifetimeMs: z.number().optional(),
    /** What adopting changes on the user (names, role, expiry, lock, service), as a person reads it. */
    changes: z.array(z.string()),
    why,
    operatorSteps,
  }),
  z.object({
    kind: z.literal('extend'),
    email,
    workflowId: z.string(),
    from: z.string(),
    to: z.string(),
    why,
  }),
  /** A new owner or ticket, in place (the credentials stay), with the extension the file also asks for. */
  z.object({
    kind: z.literal('reassign'),
    email,
    workflowId: z.string(),
    /** `to: null` clears the field. */
    owner: z.object({ from: z.string().nullable(), to: z.string().nullable() }).optional(),
    ticket: z.object({ from: z.string().nullable(), to: z.string().nullable() }).optional(),
    extend: z.object({ from: z.string(), to: z.string() }).optional(),
    why,
  }),
  z.object({
    kind: z.literal('replace'),
    email,
    entry: z.number().int().nonnegative(),
    workflowId: z.string(),
    changes: z.array(z.string()),
    expiresAt: z.string(),
    firstAppliedAt: z.string(),
    why,
    operatorSteps,
  }),
  z.object({ kind: z.literal('revoke'), email, workflowId: z.string(), why }),
  /** The file asks for what no apply may do (shorten, touch a protected user): the whole apply is refused. */
  z.object({ kind: z.literal('refused'), email, at: z.string(), why }),
  /** Not the file's to change (started by `onboard`, protected, not active yet, ended): reported, untouched. */
  z.object({ kind: z.literal('left-alone'), email, why }),
  z.object({ kind: z.literal('no-change'), email }),
]);
export type PlannedAction = z.infer<typeof plannedActionSchema>;

export const CHANGE_KINDS = ['create', 'adopt', 'extend', 'reassign', 'replace', 'revoke'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const desiredStatePlanSchema = z
  .object({
    version: z.literal(1),
    instanceId: z.string(),
    source: z.string(),
    plannedAt: z.string(),
    /** Of everything the plan read from Temporal and Marketo: an apply of this plan is refused when it changed since. */
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    desired: desiredStateFileSchema,
    actions: z.array(plannedActionSchema),
  })
  .strict();
export type DesiredStatePlan = z.infer<typeof desiredStatePlanSchema>;

export const isChange = (action: PlannedAction): boolean =>
  (CHANGE_KINDS as readonly string[]).includes(action.kind);
