/**
 * The one place that knows what a secret looks like in text. The identity call carries the client secret
 * (in a form body), and every later call carries a bearer token, so any text that could contain a URL, a
 * header or a body goes through here before it reaches an error or a log.
 */

export const REDACTED = '[REDACTED]';

const PATTERNS: readonly [RegExp, string][] = [
  // Query-string or form fields: client_secret=..., access_token=...
  [/((?:client_secret|access_token|refresh_token)=)[^&\s"'<>]*/gi, `$1${REDACTED}`],
  // JSON fields: "client_secret": "...", "access_token": "..."
  [
    /("(?:client_secret|access_token|refresh_token|clientSecret|accessToken)"\s*:\s*")[^"]*(")/gi,
    `$1${REDACTED}$2`,
  ],
  // Header forms: Authorization: Bearer xyz, or a bare "Bearer xyz".
  [/(authorization"?\s*[:=]\s*"?)(?:bearer\s+)?[^\s",}]+/gi, `$1${REDACTED}`],
  [/(bearer\s+)[^\s",}]+/gi, `$1${REDACTED}`],
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every way a secret can be written in a message: as is, JSON-escaped, URL-encoded
 * (encodeURIComponent) and form-encoded (`+` for a space, `!'()~` escaped), with a flag saying whether
 * case may vary (hex escapes are written `%2b` by some encoders).
 */
function encodingsOf(secret: string): [form: string, flags: string][] {
  const forms = new Map<string, string>([
    [secret, 'g'],
    [JSON.stringify(secret).slice(1, -1), 'g'],
    [encodeURIComponent(secret), 'gi'],
    [new URLSearchParams([['', secret]]).toString().slice(1), 'gi'],
  ]);
  // Longest first, so a short form inside a longer one never leaves the rest of the longer one behind.
  return [...forms].sort(([a], [b]) => b.length - a.length);
}

/**
 * Removes secret-looking fields and every occurrence of the given secrets in any of their encodings.
 * Secrets shorter than 4 characters are not searched: they would blank out ordinary words.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // The known secrets first: a field pattern stops at the first quote or `&`, which a raw secret may hold.
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const [form, flags] of encodingsOf(secret)) {
      // An escaped literal: the secret is matched as text, never as a pattern.
      out = out.replace(new RegExp(escapeRegExp(form), flags), REDACTED);
    }
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
