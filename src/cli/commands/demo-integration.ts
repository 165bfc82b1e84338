/**
 * The integration's side of the demo: what a program handed the credentials does with them, over plain HTTP as
 * any integration would (not through the product's Marketo client, whose assumptions the demo should not share).
 * Nothing here returns or prints the secret or the token.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const IDENTITY_PATH = '/identity/oauth/token';

const tokenSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number(),
  scope: z.string(),
});

const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** What identity answered, without the token: its type, life and scope, or the refusal. */
export type TokenAnswer =
  | { granted: true; tokenType: string; expiresInSeconds: number; scope: string }
  | { granted: false; httpStatus: number; error: string; description: string };

/** How a person can tell which secret was handed over without seeing it: its length and a short SHA-256. */
export function describeSecret(secret: string): string {
  const sha = createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
  return `secret of ${secret.length} characters, SHA-256 ${sha}…`;
}

/**
 * One client-credentials request, the secret in a form-encoded POST body (never the URL, which proxies log).
 * The body of a refusal is summarized from its OAuth fields only; an unexpected body is named, not quoted.
 */
export async function askForToken(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<TokenAnswer> {
  const response = await fetch(new URL(IDENTITY_PATH, baseUrl), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const token = tokenSchema.safeParse(body);
    if (token.success) {
      const { token_type: tokenType, expires_in: expiresInSeconds, scope } = token.data;
      return { granted: true, tokenType, expiresInSeconds, scope };
    }
  }
  const refusal = oauthErrorSchema.safeParse(body);
  return {
    granted: false,
    httpStatus: response.status,
    error: refusal.success ? refusal.data.error : 'unexpected answer',
    description: refusal.success ? (refusal.data.error_description ?? '') : 'not an OAuth token or error',
  };
}
