import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ServiceRecord, TokenRecord, UserRecord } from './model';
import { identityParamsSchema } from './schemas';
import { secretMatches, type SandboxStore } from './state';
import { ApiError, mediaType, type Answer } from './http';

/** Tokens whose expiry lies further back than this are forgotten; a forgotten token answers 601. */
const FORGET_EXPIRED_TOKENS_AFTER_MS = 24 * 60 * 60 * 1000;

export interface IdentitySettings {
  tokenLifetimeSeconds: number;
  pod: string;
}

function oauthError(status: number, error: string, description: string): Answer {
  return { status, body: { error, error_description: description } };
}

/**
 * The client-credentials parameters come from the query string, or for a POST also from a
 * form-encoded body; the query string wins where both name a field.
 */
function identityParams(req: IncomingMessage, query: URLSearchParams, body: Buffer): Record<string, string> {
  // No prototype: field names come from the caller, and `__proto__` must stay an ordinary key.
  const params = Object.create(null) as Record<string, string>;
  if (req.method === 'POST' && mediaType(req) === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] ??= value;
  }
  for (const [key, value] of query) params[key] = value;
  return params;
}

/** The sandbox's OAuth answer for `/identity/oauth/token` (GET or POST). */
export function issueToken(
  store: SandboxStore,
  settings: IdentitySettings,
  req: IncomingMessage,
  query: URLSearchParams,
  body: Buffer,
): { answer: Answer; issuedNewToken: boolean } {
  const refuse = (answer: Answer): { answer: Answer; issuedNewToken: boolean } => ({
    answer,
    issuedNewToken: false,
  });
  const parsed = identityParamsSchema.safeParse(identityParams(req, query, body));
  if (!parsed.success) {
    return refuse(oauthError(400, 'invalid_request', 'grant_type, client_id and client_secret are required'));
  }
  const { grant_type: grantType, client_id: clientId, client_secret: clientSecret } = parsed.data;
  if (grantType !== 'client_credentials') {
    return refuse(oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported'));
  }
  const service = store.services.get(clientId);
  if (!service || !secretMatches(clientSecret, service.clientSecretSha256)) {
    return refuse(oauthError(401, 'invalid_client', 'Bad client credentials'));
  }
  const owner = store.users.get(service.ownerUserId);
  if (!owner || store.lockState(owner).isLocked) {
    return refuse(oauthError(401, 'invalid_client', 'The API-only user of this service is locked'));
  }

  const now = store.now();
  const reused = currentToken(store, service, owner);
  const token = reused ?? newToken(store, settings, service, now);
  store.recordLogin(owner);
  return {
    answer: {
      status: 200,
      body: {
        access_token: token.token,
        token_type: 'bearer',
        expires_in: Math.max(0, Math.floor((token.expiresAt - now) / 1000)),
        scope: owner.emailAddress,
      },
    },
    issuedNewToken: reused === undefined,
  };
}

/** Marketo hands out the same token, with its remaining lifetime, until that token expires. */
function currentToken(
  store: SandboxStore,
  service: ServiceRecord,
  owner: UserRecord,
): TokenRecord | undefined {
  const current = store.currentTokenByClientId.get(service.clientId);
  const record = current === undefined ? undefined : store.tokens.get(current);
  if (!record || record.revoked || store.now() >= record.expiresAt) return undefined;
  if (predatesLock(record, owner)) return undefined;
  return record;
}

function newToken(
  store: SandboxStore,
  settings: IdentitySettings,
  service: ServiceRecord,
  now: number,
): TokenRecord {
  forgetOldTokens(store, now);
  const record: TokenRecord = {
    token: `${randomUUID()}:${settings.pod}`,
    clientId: service.clientId,
    issuedAt: now,
    expiresAt: now + settings.tokenLifetimeSeconds * 1000,
    expiryReported: false,
    revoked: false,
  };
  store.tokens.set(record.token, record);
  store.currentTokenByClientId.set(service.clientId, record.token);
  return record;
}

function forgetOldTokens(store: SandboxStore, now: number): void {
  for (const [token, record] of store.tokens) {
    if (record.expiresAt < now - FORGET_EXPIRED_TOKENS_AFTER_MS) store.tokens.delete(token);
  }
}

/** A lock kills every token issued before it, even after an admin lifts the lock. */
function predatesLock(token: TokenRecord, owner: UserRecord): boolean {
  return owner.pastLocks.some((lock) => lock.lockedAt >= token.issuedAt);
}

export interface Caller {
  token: TokenRecord;
  service: ServiceRecord;
  user: UserRecord;
}

/**
 * Checks `Authorization: Bearer <token>` for a User Management call. The `access_token` query parameter
 * is refused outright: the User Management API never accepted it.
 */
export function authenticate(store: SandboxStore, req: IncomingMessage, query: URLSearchParams): Caller {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    if (query.has('access_token')) {
      throw new ApiError(
        401,
        '601',
        'Access token invalid: the User Management API takes the token only in the Authorization header',
      );
    }
    throw new ApiError(401, '600', 'Access token missing: send Authorization: Bearer <token>');
  }
  const record = store.tokens.get(match[1]);
  if (!record || record.revoked) throw new ApiError(401, '601', 'Access token invalid');
  if (store.now() >= record.expiresAt) {
    if (!record.expiryReported) {
      record.expiryReported = true;
      throw new ApiError(401, '602', 'Access token expired');
    }
    throw new ApiError(401, '601', 'Access token invalid');
  }
  const service = store.services.get(record.clientId);
  const user = service === undefined ? undefined : store.users.get(service.ownerUserId);
  if (!service || !user || store.lockState(user).isLocked || predatesLock(record, user)) {
    throw new ApiError(401, '601', 'Access token invalid');
  }
  return { token: record, service, user };
}

/** The `tokenExpiry` fault: the presented token expires now, as if its hour had run out. */
export function expireEarly(store: SandboxStore, token: TokenRecord): void {
  token.expiresAt = store.now();
  token.expiryReported = true;
}
