import type { LifecycleNotification } from './types';

/**
 * Log lines are copied to shippers, terminals and support tickets, where an email (personal data) cannot be
 * taken back, so the log notifier masks them. The workflow id stays in clear: it is the pseudonym an operator
 * looks the person up by, in the encrypted history, with the key.
 */

const MASK = '***';

// Deliberately loose: a local part is any run of characters the product's email schema allows
// (`'`, `{`, `}` and the other RFC 5322 atext included) or any Unicode letter, around an @ with a dotted
// domain. Masking something that only looks like an email costs nothing, missing a real one leaks it.
const EMAIL_LIKE = /[^\s@"<>()[\]\\,;:]+@[^\s@"'<>()[\]{},;:]+\.[^\s@"'<>()[\]{},;:]+/gu;

// The same, URL-encoded (query strings, form bodies, URLs in error texts): `%40` for the @, and any
// character of either part possibly written as `%XX` (`john%2Esmith%40example%2Ecom`).
const ENCODED_EMAIL_LIKE =
  /(?:%[0-9a-f]{2}|[\p{L}\p{N}.!#$&'*+/=?^_`{|}~-])+%40(?:%[0-9a-f]{2}|[\p{L}\p{N}._~-])+/giu;

// One character of a local part as written: a code point, or in URL-encoded text also a `%XX` escape.
const PLAIN_UNIT = /[\s\S]/gu;
const ENCODED_UNIT = /%[0-9a-f]{2}|[\s\S]/giu;

/**
 * The masked form of a local part: its first character (as written) then `***`, or `***` alone for a local
 * part of one or two characters, since their first character is most of them. Output of this function is
 * left as it is, so masking twice never grows the mask.
 */
function maskLocal(local: string, unit: RegExp): string {
  const units = local.match(unit) ?? [];
  const alreadyMasked =
    local === MASK || (units.length === MASK.length + 1 && units.slice(1).join('') === MASK);
  if (alreadyMasked) return local;
  return `${units.length > 2 ? units[0] : ''}${MASK}`;
}

/**
 * `jane.doe@example.com` → `j***@example.com`: enough to tell a team's notifications apart, too little to
 * name the person. Local parts of one or two characters are masked whole.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return MASK;
  return `${maskLocal(email.slice(0, at), PLAIN_UNIT)}@${email.slice(at + 1)}`;
}

/** `john%2Esmith%40example.com` → `j***%40example.com`. */
function maskEncodedEmail(encoded: string): string {
  const at = encoded.toLowerCase().lastIndexOf('%40');
  return `${maskLocal(encoded.slice(0, at), ENCODED_UNIT)}${encoded.slice(at)}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks `email` wherever it occurs in `text`, whatever its case (it is replaced first and exactly, so even an
 * address the loose pattern would not recognise goes), then anything else shaped like an email, plain or
 * URL-encoded.
 */
export function maskEmailsIn(text: string, email?: string): string {
  let masked = text;
  // The escaped literal of the lifecycle's own email, never a pattern from input.
  if (email) masked = masked.replace(new RegExp(escapeRegExp(email), 'giu'), maskEmail(email));
  masked = masked.replace(EMAIL_LIKE, (found) => maskEmail(found));
  return masked.replace(ENCODED_EMAIL_LIKE, (found) => maskEncodedEmail(found));
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
