/**
 * Request execution: one HTTP exchange with a timeout, the call hook, reading Marketo's ways of failing, and
 * for User Management the call budget plus the single re-authentication on 601/602.
 */
import type { z } from 'zod';
import { describeBytes, readCappedText } from '../read-capped';
import { abortReason } from './abort';
import type { CallBudget } from './call-budget';
import { CLIENT_ERROR_CODES, MarketoApiError, type MarketoErrorItem } from './errors';
import {
  MarketoErrorItemSchema,
  MarketoFailureBodySchema,
  OAuthErrorBodySchema,
  describeIssue,
} from './schemas';

export type CallKind = 'identity' | 'user-management';

/** The largest body read from Marketo: a 200-user page is about 60 KiB, so this only stops a hostile server. */
export const MAX_MARKETO_BODY_BYTES = 10 * 1024 * 1024;

/** What the `onCall` hook sees after each HTTP exchange: no URL, no header, no body. */
export interface MarketoCallEvent {
  kind: CallKind;
  /** `METHOD /path/{template}`. */
  endpoint: string;
  /** The HTTP status; 0 when no response arrived (network error, timeout, abort). */
  status: number;
  /** Marketo's error code, or `network` / `timeout` / `aborted`; absent on success. */
  code?: string;
  durationMs: number;
}
export type MarketoCallHook = (event: MarketoCallEvent) => void;

/** The part of `fetch` the client uses; the global `fetch` fits, and so does a test double. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface Transport {
  fetch: FetchLike;
  timeoutMs: number;
  now: () => number;
  onCall: MarketoCallHook | undefined;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body; `undefined` for an empty body. */
  body: unknown;
  /** True when the body was not empty and not JSON. */
  unreadable: boolean;
}

export interface SendRequest {
  kind: CallKind;
  endpoint: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Values to scrub from any error text (client secret, token). */
  secrets: readonly string[];
}

export interface Failure {
  code: string | undefined;
  message: string;
  errors: MarketoErrorItem[];
}

function isSuccessStatus(status: number): boolean {
  // The contract says 200; other 2xx (the Swagger lists 201) are accepted rather than called failures.
  return status >= 200 && status < 300;
}

function errorItems(body: unknown): MarketoErrorItem[] {
  // The Swagger gives every record its own `errors`: an array of records can fail item by item.
  if (Array.isArray(body)) return body.flatMap((item) => errorItems(item));
  const parsed = MarketoFailureBodySchema.safeParse(body);
  if (!parsed.success || !parsed.data.errors) return [];
  return parsed.data.errors.map((raw) => {
    const item = MarketoErrorItemSchema.safeParse(raw);
    return item.success
      ? { code: item.data.code ?? '', message: item.data.message ?? '' }
      : { code: '', message: typeof raw === 'string' ? raw : '' };
  });
}

/**
 * How a response failed, or `undefined` when it did not: a non-2xx status, a non-empty `errors` array
 * (even on 200), a standard-REST `success: false`, or an OAuth `error` field.
 */
export function failureOf(raw: RawResponse): Failure | undefined {
  const errors = errorItems(raw.body);
  const oauth = OAuthErrorBodySchema.safeParse(raw.body);
  const success = MarketoFailureBodySchema.safeParse(raw.body);
  const saysFailed = success.success && success.data.success === false;
  if (isSuccessStatus(raw.status) && errors.length === 0 && !saysFailed && !oauth.success) return undefined;
  const first = errors.find((e) => e.code !== '') ?? errors[0];
  const code = first?.code ? first.code : oauth.success ? oauth.data.error : undefined;
  const message =
    first?.message ||
    (oauth.success ? (oauth.data.error_description ?? oauth.data.error) : '') ||
    (isSuccessStatus(raw.status) ? 'the response reports a failure' : `HTTP ${raw.status}`);
  return { code, message, errors };
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), if the server sent a usable one. */
export function retryAfterMsOf(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function emit(transport: Transport, event: MarketoCallEvent): void {
  if (!transport.onCall) return;
  try {
    transport.onCall(event);
  } catch {
    // A metrics hook must never change the outcome of a call.
  }
}

/**
 * One HTTP exchange. Resolves with whatever status came back; rejects with a `MarketoApiError` for a
 * network error or a timeout, and with the caller's own abort reason when the caller aborted (so a
 * cancelled Temporal activity sees its cancellation, not a Marketo error).
 */
export async function send(transport: Transport, req: SendRequest): Promise<RawResponse> {
  const started = transport.now();
  const timeout = AbortSignal.timeout(transport.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let status = 0;
  try {
    const response = await transport.fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal,
      redirect: 'error',
    });
    status = response.status;
    const text = await readCappedText(response, MAX_MARKETO_BODY_BYTES);
    if (text === undefined) throw tooLarge(transport, req, status, started);
    let body: unknown;
    let unreadable = false;
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        unreadable = true;
      }
    }
    const raw: RawResponse = { status, headers: response.headers, body, unreadable };
    const failure = failureOf(raw);
    const event: MarketoCallEvent = {
      kind: req.kind,
      endpoint: req.endpoint,
      status,
      durationMs: transport.now() - started,
    };
    if (failure)
      event.code = failure.code ?? (status === 404 ? CLIENT_ERROR_CODES.notFound : `http_${status}`);
    emit(transport, event);
    return raw;
  } catch (error) {
    if (error instanceof MarketoApiError) throw error;
    const durationMs = transport.now() - started;
    if (req.signal?.aborted) {
      emit(transport, { kind: req.kind, endpoint: req.endpoint, status, code: 'aborted', durationMs });
      throw abortReason(req.signal);
    }
    const timedOut = timeout.aborted;
    const code = timedOut ? CLIENT_ERROR_CODES.timeout : CLIENT_ERROR_CODES.network;
    emit(transport, { kind: req.kind, endpoint: req.endpoint, status, code, durationMs });
    throw MarketoApiError.from({
      code,
      now: transport.now(),
      endpoint: req.endpoint,
      message: timedOut
        ? `no complete response within ${transport.timeoutMs} ms`
        : `the request failed before a response arrived${error instanceof Error ? ` (${error.message})` : ''}`,
      cause: error,
      secrets: req.secrets,
    });
  }
}

function tooLarge(transport: Transport, req: SendRequest, status: number, started: number): MarketoApiError {
  const code = CLIENT_ERROR_CODES.responseTooLarge;
  emit(transport, {
    kind: req.kind,
    endpoint: req.endpoint,
    status,
    code,
    durationMs: transport.now() - started,
  });
  return MarketoApiError.from({
    httpStatus: status,
    code,
    now: transport.now(),
    endpoint: req.endpoint,
    message: `the response body is larger than ${describeBytes(MAX_MARKETO_BODY_BYTES)}; stopped reading it`,
    secrets: req.secrets,
  });
}

/** Joins a normalized base URL and an absolute path; refuses to build a URL with `//` in its path. */
export function joinUrl(baseUrl: string, path: string, query?: Record<string, string | number>): string {
  if (!path.startsWith('/') || path.includes('//')) throw new Error(`refusing to build path ${path}`);
  const base = baseUrl.replace(/\/+$/, '');
  const search = query
    ? new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()
    : '';
  return `${base}${path}${search ? `?${search}` : ''}`;
}

/** Supplies bearer tokens to User Management calls (implemented by `MarketoIdentity`). */
export interface TokenSource {
  /** A valid token; with `stale`, one different from that refused token if at all possible. */
  accessToken(stale?: string, signal?: AbortSignal): Promise<string>;
}

export interface UserManagementRequest<S extends z.ZodType> {
  method: 'GET' | 'POST';
  /** The path with `{userid}` left as a placeholder: what errors and the hook show. */
  template: string;
  /** The concrete path, segments already encoded. */
  path: string;
  query?: Record<string, string | number>;
  /** Sent as JSON. */
  body?: unknown;
  schema: S;
  signal?: AbortSignal | undefined;
}

export interface MarketoHttpDeps {
  baseUrl: string;
  transport: Transport;
  tokens: TokenSource;
  budget: CallBudget;
}

const REAUTH_CODES: ReadonlySet<string> = new Set(['601', '602']);

/** Executes User Management requests: budget slot, bearer header, one re-authentication, parsing. */
export class MarketoHttp {
  readonly #deps: MarketoHttpDeps;

  constructor(deps: MarketoHttpDeps) {
    this.#deps = deps;
  }

  get baseUrl(): string {
    return this.#deps.baseUrl;
  }

  async request<S extends z.ZodType>(req: UserManagementRequest<S>): Promise<z.output<S>> {
    const endpoint = `${req.method} ${req.template}`;
    const url = joinUrl(this.#deps.baseUrl, req.path, req.query);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    let token = await this.#deps.tokens.accessToken(undefined, req.signal);
    let raw = await this.#attempt(url, endpoint, req, body, token);
    if (needsReauthentication(raw)) {
      // Once, and only once: a second 601/602 is reported retryable for Temporal to retry later, any other
      // second 401 as final.
      token = await this.#deps.tokens.accessToken(token, req.signal);
      raw = await this.#attempt(url, endpoint, req, body, token);
    }
    return interpret(raw, endpoint, req.schema, this.#deps, [token]);
  }

  #attempt(
    url: string,
    endpoint: string,
    req: UserManagementRequest<z.ZodType>,
    body: string | undefined,
    token: string,
  ): Promise<RawResponse> {
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return this.#deps.budget.run(
      () =>
        send(this.#deps.transport, {
          kind: 'user-management',
          endpoint,
          method: req.method,
          url,
          headers,
          body,
          signal: req.signal,
          secrets: [token],
        }),
      req.signal,
    );
  }
}

function needsReauthentication(raw: RawResponse): boolean {
  const failure = failureOf(raw);
  if (!failure) return false;
  if (failure.code !== undefined && REAUTH_CODES.has(failure.code)) return true;
  // Any 401 says "this token is not accepted", whatever code (or none) comes with it: a fresh token is the
  // one thing that can help, and if it is refused too the error is final (errors.ts: 'unauthorized').
  return raw.status === 401;
}

function interpret<S extends z.ZodType>(
  raw: RawResponse,
  endpoint: string,
  schema: S,
  deps: MarketoHttpDeps,
  secrets: readonly string[],
): z.output<S> {
  const now = deps.transport.now();
  const limits = deps.budget.limits;
  const windowMs = limits === 'unlimited' ? undefined : limits.windowMs;
  const failure = failureOf(raw);
  if (failure) {
    throw MarketoApiError.from({
      httpStatus: raw.status,
      code: failure.code,
      now,
      message: failure.message,
      windowMs,
      serverRetryAfterMs: retryAfterMsOf(raw.headers, now),
      endpoint,
      errors: failure.errors,
      secrets,
    });
  }
  if (raw.unreadable) {
    throw MarketoApiError.from({
      httpStatus: raw.status,
      code: CLIENT_ERROR_CODES.invalidResponse,
      now,
      endpoint,
      message: 'the response body is not JSON',
      secrets,
    });
  }
  const parsed = schema.safeParse(raw.body);
  if (!parsed.success) {
    throw MarketoApiError.from({
      httpStatus: raw.status,
      code: CLIENT_ERROR_CODES.invalidResponse,
      now,
      endpoint,
      message: `unexpected response shape at ${describeIssue(parsed.error)}`,
      secrets,
    });
  }
  return parsed.data;
}
