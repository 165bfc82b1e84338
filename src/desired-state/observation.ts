/** What a plan compares the file with: each lifecycle as Temporal has it now. */
import { z } from 'zod';
import { lifecyclePhaseSchema } from '../domain/lifecycle-status';
import { lifecyclePolicySchema, roleRequestSchema } from '../domain/lifecycle-request';
import { desiredStateMarkerSchema } from './marker';

export const observedLifecycleSchema = z.object({
  email: z.string(),
  workflowId: z.string(),
  runId: z.string(),
  /** Still running: it can be extended or revoked. A closed one left a locked user behind. */
  running: z.boolean(),
  phase: z.union([lifecyclePhaseSchema, z.literal('unknown')]),
  expiresAt: z.string().nullable(),
  createdAt: z.string().nullable(),
  /** What the running lifecycle was asked for, beyond its expiry and reason (absent once closed). */
  request: z
    .object({
      firstName: z.string(),
      lastName: z.string(),
      role: roleRequestSchema,
      service: z.object({ displayName: z.string().optional(), description: z.string().optional() }),
      policy: lifecyclePolicySchema,
      owner: z.string().optional(),
      ticket: z.string().optional(),
    })
    .optional(),
  marker: desiredStateMarkerSchema.optional(),
});
export type ObservedLifecycle = z.infer<typeof observedLifecycleSchema>;

export interface Observation {
  /** By email, for every email the file names that has a lifecycle (running or ended). */
  byEmail: Map<string, ObservedLifecycle>;
  /** Running lifecycles of this instance the file does not name: revoked when an apply started them. */
  unlisted: ObservedLifecycle[];
}
