/**
 * Every failure of the Marketo client is one typed error, `MarketoApiError`, classified by one pure table
 * (`classifyMarketoError`). The client never loops on its own (beyond the single re-authentication on
 * 601/602): Temporal's activity retries are the one retry layer, and they read `retryable` and
 * `retryAfterMs` from here.
 */
import { z } from 'zod';
import { redactSecrets } from './redact';

/** One class per failure; `retryable` follows from the class alone. */
export const MarketoErrorKindSchema = z.enum([
  'auth', // 601/602 still refused after the one re-authentication
  'unauthorized', // HTTP 401 without 601/602, still refused after the one re-authentication
  'throttled', // 606 rate limit, 615 concurrency limit, HTTP 429
  'quota', // 607 daily quota
  'transient', // 502, 604, 608, 614, 713, HTTP 5xx, network, timeout
  'invalid_credentials', // identity refused the client id / secret
  'permission', // 603, HTTP 403
  'not_found', // HTTP 404, 610, 1004, 1013
  'conflict', // HTTP 409, 1005, 1017 (e.g. duplicate invite)
  'invalid_request', // 605, 609, 612, 613, 1xxx validation, other 4xx, bad arguments
  'fatal', // 611, 616, unknown codes on a 200
  'invalid_response', // the body does not match the contract
]);
export type MarketoErrorKind = z.infer<typeof MarketoErrorKindSchema>;

const RETRYABLE_KINDS: ReadonlySet<MarketoErrorKind> = new Set(['auth', 'throttled', 'quota', 'transient']);

export function isRetryableKind(kind: MarketoErrorKind): boolean {
  return RETRYABLE_KINDS.has(kind);
}

/** Codes the client itself assigns where Marketo gave none. */
export const CLIENT_ERROR_CODES = {
  network: 'network',
  timeout: 'timeout',
  invalidClient: 'invalid_client',
  invalidResponse: 'invalid_response',
  responseTooLarge: 'response_too_large',
  invalidArgument: 'invalid_argument',
  notFound: 'not_found',
  unknown: 'unknown',
} as const;

const CODE_KINDS: ReadonlyMap<string, MarketoErrorKind> = new Map(
  Object.entries({
    '502': 'transient',
    '601': 'auth',
    '602': 'auth',
    '603': 'permission',
    '604': 'transient',
    '605': 'invalid_request',
    '606': 'throttled',
    '607': 'quota',
    '608': 'transient',
    '609': 'invalid_request',
    '610': 'not_found',
    '611': 'fatal',
    '612': 'invalid_request',
    '613': 'invalid_request',
    '614': 'transient',
    '615': 'throttled',
    '616': 'fatal',
    '713': 'transient',
    '1004': 'not_found',
    '1013': 'not_found',
    '1005': 'conflict',
    '1017': 'conflict',
    [CLIENT_ERROR_CODES.network]: 'transient',
    [CLIENT_ERROR_CODES.timeout]: 'transient',
    [CLIENT_ERROR_CODES.invalidClient]: 'invalid_credentials',
    [CLIENT_ERROR_CODES.invalidResponse]: 'invalid_response',
    [CLIENT_ERROR_CODES.responseTooLarge]: 'invalid_response',
    [CLIENT_ERROR_CODES.invalidArgument]: 'invalid_request',
    [CLIENT_ERROR_CODES.notFound]: 'not_found',
  } satisfies Record<string, MarketoErrorKind>),
);

const DEFAULT_RATE_WINDOW_MS = 20_000;

export const MARKETO_QUOTA_TIME_ZONE = 'America/Chicago';

export interface ClassifyInput {
  /** HTTP status of the response; absent when no response arrived (network, timeout). */
  httpStatus?: number | undefined;
  /** Marketo's code (number or quoted string) or one of `CLIENT_ERROR_CODES`. */
  code?: string | number | undefined;
  /** The moment of the failure: 607's wait is counted from it. */
  now: Date | number;
  /** Marketo's message: 606 says its window ("... with in '20' secs"). */
  message?: string | undefined;
  /** The configured call-budget window, used for 606 when the server does not say. */
  windowMs?: number | undefined;
  /** A server-sent `Retry-After`, already in milliseconds. */
  serverRetryAfterMs?: number | undefined;
}

export interface MarketoErrorClassification {
  code: string;
  kind: MarketoErrorKind;
  retryable: boolean;
  retryAfterMs?: number;
  hint: string;
}

function kindFromStatus(httpStatus: number | undefined, code: string | undefined): MarketoErrorKind {
  // Marketo's 1xxx family is about the request's content (1003 invalid data, ...), whatever the status.
  if (code !== undefined && /^1\d{3}$/.test(code)) return 'invalid_request';
  if (httpStatus === undefined) return 'fatal';
  // 601/602 are in the code table; any other 401 has already had its one re-authentication (http.ts), so
  // a fresh token was refused too: the credentials are wrong and retrying cannot help.
  if (httpStatus === 401) return 'unauthorized';
  if (httpStatus === 403) return 'permission';
  if (httpStatus === 404) return 'not_found';
  if (httpStatus === 409) return 'conflict';
  // Deliberate exceptions to "other 4xx: not retryable" (see README.md): 429 is a rate limit and 408 a
  // server-side timeout, both of which pass with time, as 606 and 604 do.
  if (httpStatus === 429) return 'throttled';
  if (httpStatus === 408) return 'transient';
  if (httpStatus >= 500) return 'transient';
  if (httpStatus >= 400) return 'invalid_request';
  // An `errors` array on a 2xx (standard-REST style) with a code the table does not know: unexplained,
  // so it must reach a human rather than a retry loop.
  return 'fatal';
}

function rateWindowMs(message: string | undefined, windowMs: number | undefined): number {
  // "Max rate limit '100' exceeded with in '20' secs": the server's own window beats our configuration.
  const said = message ? /with\s*in\s*'?(\d{1,4}(?:\.\d{1,3})?)'?\s*sec/i.exec(message) : null;
  if (said?.[1]) {
    const seconds = Number(said[1]);
    if (seconds > 0) return Math.round(seconds * 1000);
  }
  return windowMs !== undefined && windowMs > 0 ? windowMs : DEFAULT_RATE_WINDOW_MS;
}

const HINTS: Readonly<Record<MarketoErrorKind, string>> = {
  auth: 'Marketo refused the access token even after one re-authentication; retry later and check that the custom service is still active.',
  throttled:
    "Marketo's per-instance rate limit (shared by every integration) was hit; wait retryAfterMs, then retry, and lower MARKETO_BUDGET_CALLS if it repeats.",
  quota:
    'The daily API quota is used up; calls succeed again after midnight US Central (America/Chicago), retryAfterMs from now.',
  transient: 'A temporary failure on the Marketo side or the network; retry with backoff.',
  unauthorized:
    'Marketo refused a freshly issued token (HTTP 401 without code 601/602) even after one re-authentication: the client id and secret are wrong for this instance, or the custom service or its API-only user was deleted or locked; fix the credentials, retrying will not help.',
  invalid_credentials:
    'The client id or secret was refused; check the custom service under Admin > LaunchPoint > View Details.',
  permission:
    "Access denied: the custom service's role needs 'Access User Management Api' and 'Access Users', and any IP allow-list must admit this host.",
  not_found:
    'No such user or invitation: accepted users are read with user.json, pending ones with invite.json.',
  conflict: 'It already exists (for example a duplicate invite); look it up instead of creating it again.',
  invalid_request: 'Marketo rejected the request itself; fix the input, retrying will not help.',
  fatal: 'Marketo refused with an error that retrying will not fix; read the message and act on it.',
  invalid_response:
    'The response does not match the Marketo contract; report it with the endpoint and field named in the message.',
};

const CODE_HINTS: Readonly<Record<string, string>> = {
  [CLIENT_ERROR_CODES.responseTooLarge]:
    'No Marketo answer is that large: check that MARKETO_BASE_URL points at your instance (https://<munchkin id>.mktorest.com) and not at a proxy or another service; retrying will not help.',
  '611':
    'Marketo system error. When deleting an API-only user this means it still owns a custom service: delete the service in Admin > LaunchPoint first.',
  '615':
    'More than 10 concurrent calls on the instance (shared by every integration); back off and lower MARKETO_BUDGET_CONCURRENCY if it repeats.',
  '616': 'The subscription type does not allow this API; it needs a Marketo-side change.',
  '614': 'Marketo says the subscription is invalid, usually for a moment; retry a few times, then escalate.',
};

/** Pure: the same input always gives the same class, whatever the clock of the caller. */
export function classifyMarketoError(input: ClassifyInput): MarketoErrorClassification {
  const trimmed = input.code === undefined ? '' : String(input.code).trim();
  const rawCode = trimmed === '' ? undefined : trimmed;
  const kind =
    (rawCode !== undefined ? CODE_KINDS.get(rawCode) : undefined) ??
    kindFromStatus(input.httpStatus, rawCode);
  const code =
    rawCode ??
    (input.httpStatus === 404
      ? CLIENT_ERROR_CODES.notFound
      : input.httpStatus !== undefined
        ? `http_${input.httpStatus}`
        : CLIENT_ERROR_CODES.unknown);
  const retryable = isRetryableKind(kind);
  const nowMs = typeof input.now === 'number' ? input.now : input.now.getTime();
  let retryAfterMs: number | undefined;
  if (kind === 'quota') {
    retryAfterMs = Math.max(0, nextMidnightIn(MARKETO_QUOTA_TIME_ZONE, nowMs) - nowMs);
  } else if (code === '606' || (kind === 'throttled' && code !== '615')) {
    retryAfterMs = input.serverRetryAfterMs ?? rateWindowMs(input.message, input.windowMs);
  } else if (retryable && input.serverRetryAfterMs !== undefined) {
    retryAfterMs = input.serverRetryAfterMs;
  }
  const hint = (Object.hasOwn(CODE_HINTS, code) ? CODE_HINTS[code] : undefined) ?? HINTS[kind];
  return retryAfterMs === undefined
    ? { code, kind, retryable, hint }
    : { code, kind, retryable, retryAfterMs, hint };
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = zoneFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading of an instant in a time zone. */
export function wallClockIn(timeZone: string, epochMs: number): WallClock {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(epochMs)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? NaN,
    month: parts.month ?? NaN,
    day: parts.day ?? NaN,
    hour: parts.hour ?? NaN,
    minute: parts.minute ?? NaN,
    second: parts.second ?? NaN,
  };
}

function zoneOffsetMs(timeZone: string, epochMs: number): number {
  const w = wallClockIn(timeZone, epochMs);
  const wholeSecond = Math.floor(epochMs / 1000) * 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - wholeSecond;
}

/**
 * The first midnight strictly after `nowMs` in `timeZone`, DST-correct: the offset is looked up at the
 * target instant itself (twice, so a day of 23 or 25 hours lands right). US zones switch at 02:00, so a
 * local midnight always exists and is unique.
 */
export function nextMidnightIn(timeZone: string, nowMs: number): number {
  const today = wallClockIn(timeZone, nowMs);
  const wall = Date.UTC(today.year, today.month - 1, today.day + 1, 0, 0, 0);
  const guess = wall - zoneOffsetMs(timeZone, wall);
  return wall - zoneOffsetMs(timeZone, guess);
}

/** One item of Marketo's `errors` array, normalized. */
export interface MarketoErrorItem {
  code: string;
  message: string;
}

export interface MarketoApiErrorInit {
  classification: MarketoErrorClassification;
  /** `METHOD /path/{template}`: never a concrete URL, so never a query string. */
  endpoint: string;
  httpStatus?: number | undefined;
  /** What Marketo (or the client) said; redacted before it is stored. */
  message: string;
  errors?: readonly MarketoErrorItem[] | undefined;
  cause?: unknown;
  /** Values that must not appear in any text of the error (the client secret, tokens). */
  secrets?: readonly string[] | undefined;
}

/**
 * The client's only error type. Everything it carries is safe to log: messages are redacted, the endpoint
 * is a template, and a cause is replaced by a redacted copy that keeps only name, message and code.
 */
export class MarketoApiError extends Error {
  override readonly name = 'MarketoApiError';
  readonly code: string;
  readonly kind: MarketoErrorKind;
  readonly httpStatus: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly endpoint: string;
  readonly hint: string;
  readonly errors: readonly MarketoErrorItem[];

  constructor(init: MarketoApiErrorInit) {
    const secrets = init.secrets ?? [];
    const detail = redactSecrets(init.message, secrets);
    const status = init.httpStatus !== undefined ? `, HTTP ${init.httpStatus}` : '';
    const endpoint = redactSecrets(init.endpoint, secrets);
    super(
      `${endpoint}: ${detail} (code ${init.classification.code}${status})`,
      init.cause === undefined ? undefined : { cause: sanitizeCause(init.cause, secrets) },
    );
    this.code = init.classification.code;
    this.kind = init.classification.kind;
    this.retryable = init.classification.retryable;
    this.retryAfterMs = init.classification.retryAfterMs;
    this.hint = init.classification.hint;
    this.httpStatus = init.httpStatus;
    this.endpoint = endpoint;
    this.errors = (init.errors ?? []).map((e) => ({
      code: e.code,
      message: redactSecrets(e.message, secrets),
    }));
  }

  /** Classifies and builds in one step; what most call sites want. */
  static from(
    input: ClassifyInput & Omit<MarketoApiErrorInit, 'classification' | 'message'> & { message: string },
  ): MarketoApiError {
    return new MarketoApiError({ ...input, classification: classifyMarketoError(input) });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      kind: this.kind,
      httpStatus: this.httpStatus,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      endpoint: this.endpoint,
      hint: this.hint,
      errors: this.errors,
    };
  }
}

export function isMarketoApiError(value: unknown): value is MarketoApiError {
  return value instanceof MarketoApiError;
}

/** A stand-in for a low-level error (fetch's TypeError, a socket error) that can carry no secret. */
function sanitizeCause(cause: unknown, secrets: readonly string[]): Error {
  if (!(cause instanceof Error)) return new Error(redactSecrets(String(cause), secrets));
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  const copy = new Error(redactSecrets(`${cause.message}${inner}`, secrets));
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') Object.assign(copy, { code });
  // The stack of the original would repeat its unredacted message; the copy's own stack is enough.
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
