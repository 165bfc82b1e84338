/**
 * How a lifecycle says that an apply started it: a memo field (memos go through the payload codec, and the
 * server carries them across continue-as-new). Only such lifecycles may be revoked by a later apply; one
 * started by `onboard` is reported and left alone.
 */
import { z } from 'zod';

export const DESIRED_STATE_MEMO_FIELD = 'desiredState';

export const desiredStateMarkerSchema = z.object({
  /** The first apply that created this user: a `lifetime` counts from here, whatever was re-created since. */
  firstAppliedAt: z.iso.datetime({ offset: true }),
});
export type DesiredStateMarker = z.infer<typeof desiredStateMarkerSchema>;

/** The marker in a memo as Temporal decoded it, or undefined for a lifecycle no apply started. */
export function markerFromMemo(memo: Record<string, unknown> | undefined): DesiredStateMarker | undefined {
  const parsed = desiredStateMarkerSchema.safeParse(memo?.[DESIRED_STATE_MEMO_FIELD]);
  return parsed.success ? parsed.data : undefined;
}
