import { createHmac, hkdfSync } from 'node:crypto';
import { type Keyring, KeyringError, WORKFLOW_ID_KEY_ENV, parseWorkflowIdKey } from './keyring';

export const WORKFLOW_ID_PREFIX = 'marketo-api-user-';
const HASH_HEX_CHARS = 32;
const MIN_KEY_BYTES = 16;
// Bump only with a migration plan: changing it moves every lifecycle to a new workflow id.
const HKDF_INFO = 'marketo-api-users/workflow-id/v1';

/**
 * Workflow ids are visible to anyone who can list workflows, so they must not contain the email.
 * A keyed hash (not a plain one: emails are guessable) still lets the CLI go from an email to its
 * lifecycle. 128 bits of the HMAC are plenty to never collide within one deployment.
 */
export function lifecycleWorkflowId(instanceId: string, email: string, key: Buffer | string): string {
  if (instanceId === '' || /[\r\n]/.test(instanceId)) {
    throw new Error('instanceId must be non-empty and single-line (see instanceIdFromBaseUrl)');
  }
  const normalizedEmail = normalizeEmail(email);
  if (normalizedEmail === '') throw new Error('email must be non-empty');
  const keyLength = typeof key === 'string' ? Buffer.byteLength(key) : key.length;
  if (keyLength < MIN_KEY_BYTES) throw new Error(`workflow id key must be at least ${MIN_KEY_BYTES} bytes`);
  const digest = createHmac('sha256', key).update(`${instanceId}\n${normalizedEmail}`, 'utf8').digest('hex');
  return `${WORKFLOW_ID_PREFIX}${digest.slice(0, HASH_HEX_CHARS)}`;
}

/** Marketo treats emails case-insensitively; so must the id, or "Bob@x" and "bob@x" get two lifecycles. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Identifies a Marketo instance by host: `https://123-ABC-456.mktorest.com/rest/` → `123-abc-456.mktorest.com`.
 * The path is dropped on purpose (`/rest` and `/identity` are the same instance); a non-default port is kept.
 */
export function instanceIdFromBaseUrl(url: string): string {
  const trimmed = url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new Error(`not a valid Marketo base URL: ${JSON.stringify(trimmed)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`Marketo base URL must be http(s), got ${parsed.protocol}`);
  }
  if (parsed.hostname === '') throw new Error(`Marketo base URL has no host: ${JSON.stringify(trimmed)}`);
  // URL.host is already lowercased and omits default ports; strip a trailing dot of a FQDN too.
  return parsed.host.replace(/\.(?=(:\d+)?$)/, '').toLowerCase();
}

/**
 * The HMAC key for {@link lifecycleWorkflowId}. It must never change, or existing lifecycles can no
 * longer be found from an email, so it is NOT derived from the payload keys (those rotate).
 *
 * Source, first match wins:
 * 1. env MARKETO_API_USERS_WORKFLOW_ID_KEY (base64, 32 bytes);
 * 2. the key file's `workflowIdKey`, created with the file and kept by rotateKeyFile.
 * With env payload keys and no (1) this throws instead of guessing.
 *
 * The stored secret goes through HKDF so the bytes used for HMAC are specific to this purpose.
 */
export function deriveWorkflowIdKey(keyring: Keyring, env: NodeJS.ProcessEnv = process.env): Buffer {
  const secret = parseWorkflowIdKey(env[WORKFLOW_ID_KEY_ENV]) ?? keyring.workflowIdKey;
  if (!secret) {
    throw new KeyringError(
      `${keyring.source} has no workflow id key: set ${WORKFLOW_ID_KEY_ENV} to base64 of 32 random bytes ` +
        `(e.g. \`openssl rand -base64 32\`) and never change it`,
    );
  }
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO, 32));
}

const FINGERPRINT_INFO = 'marketo-api-users/workflow-id-key/fingerprint/v1';
const FINGERPRINT_HEX_CHARS = 16;

/**
 * Names a workflow-id key without revealing it: a client puts it in the lifecycles it starts and the worker
 * compares it with its own, so a CLI with another key (hence other workflow ids for the same emails) is refused
 * instead of starting a second lifecycle for a user that already has one.
 */
export function workflowIdKeyFingerprint(key: Buffer): string {
  return createHmac('sha256', key)
    .update(FINGERPRINT_INFO, 'utf8')
    .digest('hex')
    .slice(0, FINGERPRINT_HEX_CHARS);
}
