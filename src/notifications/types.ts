import { z } from 'zod';

export const notificationKinds = [
  'reminder',
  'operator-action-needed',
  'deactivated',
  'drift',
  'failed',
  'sweep-report',
  'sweep-lines',
  'credentials-rotated',
  'rotation-needs-attention',
  'attestation-requested',
  'attestation-overdue',
] as const;

function isJsonSerializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

export const lifecycleNotificationSchema = z.object({
  kind: z.enum(notificationKinds),
  workflowId: z.string().min(1),
  /**
   * The same on every delivery attempt of one event, different for every event: receivers dedupe by it.
   * The workflow makes it, so retries and replays keep it.
   */
  eventId: z.string().min(1).max(200).optional(),
  email: z.string().min(1).optional(),
  /** When the event happened, ISO 8601 with offset (`Z` from Date#toISOString is fine). */
  at: z.iso.datetime({ offset: true }),
  /** One human-readable line, e.g. for a chat channel. */
  message: z.string().min(1),
  /** Extra structured data; must survive JSON.stringify (no bigint, no cycles). */
  details: z
    .record(z.string(), z.unknown())
    .refine(isJsonSerializable, { message: 'details must be JSON-serializable' })
    .optional(),
});

export type LifecycleNotification = z.infer<typeof lifecycleNotificationSchema>;
export type LifecycleNotificationKind = LifecycleNotification['kind'];

/** Which delivery attempt of the event this is (1 for the first); absent outside an activity. */
export interface DeliveryAttempt {
  attempt: number;
}

export interface Notifier {
  notify(event: LifecycleNotification, delivery?: DeliveryAttempt): Promise<void>;
}

// Belt and braces: callers are not supposed to put secrets in details, but a stray token in an
// operator channel or log is hard to take back.
const SECRET_KEY = /secret|password|passwd|token|authorization|api[-_]?key|credential/i;
export const REDACTED = '[redacted]';

function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, SECRET_KEY.test(key) ? REDACTED : redactJson(inner)]),
    );
  }
  return value;
}

/**
 * Validates a notification and masks secret-looking keys in `details`. Every notifier sends this,
 * so a malformed event fails at the source rather than as a confusing webhook payload.
 */
export function prepareNotification(event: LifecycleNotification): LifecycleNotification {
  const parsed = lifecycleNotificationSchema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid lifecycle notification: ${problems}`);
  }
  const { details, ...rest } = parsed.data;
  return details === undefined ? rest : { ...rest, details: redactJson(details) as Record<string, unknown> };
}
