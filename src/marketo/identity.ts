/**
 * Identity: access tokens for a custom service's client credentials.
 *
 * Marketo hands out one token per service and, asked again before it expires, returns the SAME token with
 * its remaining lifetime. So the cache refreshes a token when less than a minute is left, but a token that
 * arrives with less than a minute left is used until it actually expires (asking again would return it
 * again). Concurrent callers share one in-flight request per key.
 */
import { createHash } from 'node:crypto';
import { abortReason } from './abort';
import { CLIENT_ERROR_CODES, MarketoApiError } from './errors';
import { failureOf, joinUrl, retryAfterMsOf, send, type TokenSource, type Transport } from './http';
import { IdentityResponseSchema, describeIssue, type IdentityResponse } from './schemas';

export const IDENTITY_PATH = '/identity/oauth/token';
export const IDENTITY_ENDPOINT = `POST ${IDENTITY_PATH}`;

/** Refresh when less than this is left. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface MarketoCredentials {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
}

/** What identity says about a service: the owning API-only user's email, and the token's remaining life. */
export interface TokenInfo {
  scope: string;
  expiresInSeconds: number;
}

interface CachedToken {
  accessToken: string;
  scope: string;
  expiresAt: number;
  refreshAt: number;
}

/**
 * Tokens by credentials. Keyed by base URL and client id, plus a fingerprint of the secret so a wrong
 * secret can never ride on the token obtained with the right one; the secret itself is not kept.
 * Shareable among clients; tests use their own.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<CachedToken>>();

  static keyOf(credentials: MarketoCredentials): string {
    const fingerprint = createHash('sha256').update(credentials.clientSecret).digest('hex').slice(0, 16);
    return `${credentials.baseUrl}|${credentials.clientId}|${fingerprint}`;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * A token that is not `stale` and not due for refresh, fetching one when needed; every caller that
   * arrives while a fetch is under way joins it.
   */
  async get(
    key: string,
    now: () => number,
    fetchToken: () => Promise<IdentityResponse>,
    stale?: string,
  ): Promise<CachedToken> {
    const cached = this.#entries.get(key);
    if (cached && cached.accessToken !== stale && now() < cached.refreshAt) return cached;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      const requestedAt = now();
      pending = fetchToken()
        .then((response) => {
          const entry = toCachedToken(response, requestedAt);
          this.#entries.set(key, entry);
          return entry;
        })
        .finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }
}

function toCachedToken(response: IdentityResponse, requestedAt: number): CachedToken {
  // Counting from when we asked errs on the safe side by the request's duration.
  const lifetimeMs = response.expires_in * 1000;
  const expiresAt = requestedAt + lifetimeMs;
  const refreshAt = lifetimeMs > TOKEN_REFRESH_MARGIN_MS ? expiresAt - TOKEN_REFRESH_MARGIN_MS : expiresAt;
  return { accessToken: response.access_token, scope: response.scope, expiresAt, refreshAt };
}

/** The process-wide cache clients use unless given their own. */
export const defaultTokenCache = new TokenCache();

/**
 * One identity request. The credentials travel in a form-encoded POST body (Marketo accepts it as well as
 * the query string), so no proxy or access log keeps the secret with the URL; errors and the hook name the
 * endpoint template, and error texts are scrubbed of the secret in every encoding.
 */
export async function requestToken(
  transport: Transport,
  credentials: MarketoCredentials,
  signal?: AbortSignal,
): Promise<IdentityResponse> {
  const url = joinUrl(credentials.baseUrl, IDENTITY_PATH);
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
  }).toString();
  const secrets = [credentials.clientSecret];
  const raw = await send(transport, {
    kind: 'identity',
    endpoint: IDENTITY_ENDPOINT,
    method: 'POST',
    url,
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    signal,
    secrets,
  });
  const now = transport.now();
  const failure = failureOf(raw);
  if (failure) {
    // The strings are not documented, so a 401 from identity is taken to mean bad credentials whatever
    // its body says; `invalid_client` in the body means the same on any status.
    const invalidClient = raw.status === 401 || failure.code === 'invalid_client';
    throw MarketoApiError.from({
      httpStatus: raw.status,
      code: invalidClient ? CLIENT_ERROR_CODES.invalidClient : failure.code,
      now,
      endpoint: IDENTITY_ENDPOINT,
      message: invalidClient ? 'the client id or secret was refused' : failure.message,
      serverRetryAfterMs: retryAfterMsOf(raw.headers, now),
      errors: failure.errors,
      secrets,
    });
  }
  const parsed = raw.unreadable ? undefined : IdentityResponseSchema.safeParse(raw.body);
  if (!parsed?.success) {
    throw MarketoApiError.from({
      httpStatus: raw.status,
      code: CLIENT_ERROR_CODES.invalidResponse,
      now,
      endpoint: IDENTITY_ENDPOINT,
      message: parsed
        ? `unexpected response shape at ${describeIssue(parsed.error)}`
        : 'the body is not JSON',
      // The token itself may be in the body; nothing of the body is quoted, and it is scrubbed regardless.
      secrets,
    });
  }
  return parsed.data;
}

export interface MarketoIdentityDeps {
  credentials: MarketoCredentials;
  transport: Transport;
  cache: TokenCache;
}

/** Tokens for the client's own credentials, and a way to check other credentials without caching. */
export class MarketoIdentity implements TokenSource {
  readonly #credentials: MarketoCredentials;
  readonly #transport: Transport;
  readonly #cache: TokenCache;
  readonly #key: string;

  constructor(deps: MarketoIdentityDeps) {
    this.#credentials = deps.credentials;
    this.#transport = deps.transport;
    this.#cache = deps.cache;
    this.#key = TokenCache.keyOf(deps.credentials);
  }

  async accessToken(stale?: string, signal?: AbortSignal): Promise<string> {
    return (await this.#cached(stale, signal)).accessToken;
  }

  /** Scope and remaining life of the client's own (cached) token. */
  async tokenInfo(signal?: AbortSignal): Promise<TokenInfo> {
    const entry = await this.#cached(undefined, signal);
    return {
      scope: entry.scope,
      expiresInSeconds: Math.max(0, Math.floor((entry.expiresAt - this.#transport.now()) / 1000)),
    };
  }

  /**
   * Obtains a token for other credentials (typically a custom service the operator created) and reports
   * its scope, which must be the email of the API-only user owning that service. The token is dropped:
   * it belongs to another service and must not enter the shared cache.
   */
  async verifyCredentials(clientId: string, clientSecret: string, signal?: AbortSignal): Promise<TokenInfo> {
    const response = await requestToken(
      this.#transport,
      { baseUrl: this.#credentials.baseUrl, clientId, clientSecret },
      signal,
    );
    return { scope: response.scope, expiresInSeconds: response.expires_in };
  }

  #cached(stale: string | undefined, signal: AbortSignal | undefined): Promise<CachedToken> {
    // The shared fetch ignores any one caller's abort: the others still want the token.
    return raceAbort(
      this.#cache.get(
        this.#key,
        this.#transport.now,
        () => requestToken(this.#transport, this.#credentials),
        stale,
      ),
      signal,
    );
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
