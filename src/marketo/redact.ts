/**
 * The one place that knows what a secret looks like in text. Marketo's identity call must carry the
 * client secret in its query string, and every later call carries a bearer token, so any text that could
 * contain a URL, a header or a body goes through here before it reaches an error or a log.
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
 * Removes secret-looking fields and every literal occurrence of the given secrets (raw and URL-encoded,
 * since a secret can reach a message through either form). Secrets shorter than 4 characters are not
 * searched: they would blank out ordinary words.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.replace(new RegExp(escapeRegExp(form), 'g'), REDACTED);
    }
  }
  return out;
}
