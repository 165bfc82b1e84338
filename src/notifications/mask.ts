import type { LifecycleNotification } from './types';

/**
 * Log lines are copied to shippers, terminals and support tickets, where an email (personal data) cannot be
 * taken back, so the log notifier masks them. The workflow id stays in clear: it is the pseudonym an operator
 * looks the person up by, in the encrypted history, with the key.
 */

const MASK = '***';

// Deliberately loose (any non-space run around an @ with a dotted domain, Unicode letters included): masking
// something that only looks like an email costs nothing, missing a real one leaks it.
const EMAIL_LIKE = /[^\s@"'<>()[\]{},;:]+@[^\s@"'<>()[\]{},;:]+\.[^\s@"'<>()[\]{},;:]+/gu;

/**
 * `jane.doe@example.com` → `j***@example.com`: enough to tell a team's notifications apart, too little to
 * name the person. Local parts of one or two characters are masked whole, since their first character is
 * most of them.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return MASK;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  // Already masked (the loose pattern meets the exact replacement's output): leave it, or `***` would grow.
  if (local.endsWith(MASK)) return email;
  const head = [...local].length > 2 ? [...local][0] : '';
  return `${head}${MASK}@${domain}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks `email` wherever it occurs in `text`, whatever its case (it is replaced first and exactly, so even an
 * address the loose pattern would not recognise goes), then anything else shaped like an email.
 */
export function maskEmailsIn(text: string, email?: string): string {
  let masked = text;
  if (email) masked = masked.replace(new RegExp(escapeRegExp(email), 'giu'), maskEmail(email));
  return masked.replace(EMAIL_LIKE, (found) => maskEmail(found));
}

function maskJson(value: unknown, email: string | undefined): unknown {
  if (typeof value === 'string') return maskEmailsIn(value, email);
  if (Array.isArray(value)) return value.map((inner) => maskJson(inner, email));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [maskEmailsIn(key, email), maskJson(inner, email)]),
    );
  }
  return value;
}

/** The notification with every email masked: the `email` field, the message and all of `details`. */
export function maskPersonalData(notification: LifecycleNotification): LifecycleNotification {
  const { email, message, details, ...rest } = notification;
  return {
    ...rest,
    ...(email === undefined ? {} : { email: maskEmail(email) }),
    message: maskEmailsIn(message, email),
    ...(details === undefined ? {} : { details: maskJson(details, email) as Record<string, unknown> }),
  };
}
