import { describeBytes, readCappedText } from '../read-capped';
import { type LifecycleNotification, type Notifier, prepareNotification } from './types';

export interface WebhookNotifierOptions {
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Whole request, headers and body. Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** A receiver answers `ok` or a small JSON; anything past this is not read (and fails the delivery). */
export const MAX_WEBHOOK_RESPONSE_BYTES = 64 * 1024;
const URL_SETTING = 'MARKETO_API_USERS_WEBHOOK_URL';

/**
 * A webhook URL safe to show in errors and logs: webhook URLs often are the credential, in the query
 * string, the userinfo or any path segment however short, so only the scheme and host are kept.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[invalid URL]';
  }
  const hidden = parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '';
  return `${parsed.protocol}//${parsed.host}/${hidden ? '…' : ''}`;
}

/** A failed delivery: what happened, what to do, and whether trying again can help. */
export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  constructor(
    readonly problem: string,
    readonly hint: string,
    readonly retryable: boolean,
  ) {
    super(`${problem}: ${hint}`);
  }
}

/** Network-level failure codes are useful and harmless; messages and causes may embed the URL. */
function errorCode(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause: unknown = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string') {
      return (cause as NodeJS.ErrnoException).code as string;
    }
    return error.name;
  }
  return 'unknown error';
}

/** Only the status code: the reason phrase and the body are the receiver's text and may echo the token. */
function statusError(where: string, status: number): WebhookError {
  if (status >= 300 && status < 400) {
    return new WebhookError(
      `webhook ${where} redirect refused (HTTP ${status})`,
      `redirects are not followed, so the token never goes to another address: set ${URL_SETTING} to the final address`,
      false,
    );
  }
  const hint =
    status === 401 || status === 403 || status === 404
      ? `the URL or its token is probably wrong or revoked: fix ${URL_SETTING}`
      : status >= 500
        ? 'the receiving service failed: check its logs; the notification will be retried'
        : 'the receiving service rejected the request: check it accepts POST application/json';
  return new WebhookError(`webhook ${where} answered HTTP ${status}`, hint, true);
}

/**
 * POSTs each notification as JSON. The body is the notification plus a `text` line, so Slack-style
 * incoming webhooks show something useful without an adapter. Throws a `WebhookError` on anything but a
 * 2xx so the caller (an activity) retries; no retry here, to keep one retry policy.
 *
 * Unlike the log line, the body carries the email in clear, by decision: the webhook is a delivery to an
 * endpoint the operator configured to act on these events (remind the person, open a ticket), which needs
 * to know whom it is about; a log is a by-product copied to places nobody chose. Point it at HTTPS.
 */
export class WebhookNotifier implements Notifier {
  readonly #url: URL;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;
  readonly #authorization: string | undefined;

  constructor(url: string | URL, options: WebhookNotifierOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error('webhook URL is not a valid URL');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new Error(`webhook URL must be http(s), got ${parsed.protocol}`);
    }
    // fetch refuses URLs with credentials; `https://user:pass@host/` is common for webhooks, so send
    // them as Basic auth instead.
    if (parsed.username !== '' || parsed.password !== '') {
      const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
      this.#authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.#url = parsed;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The URL as it may appear in logs. */
  get displayUrl(): string {
    return redactUrl(this.#url);
  }

  async notify(event: LifecycleNotification): Promise<void> {
    const notification = prepareNotification(event);
    const body = JSON.stringify({ ...notification, text: `[${notification.kind}] ${notification.message}` });
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let read: string | undefined;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // The same on every attempt of one event: a receiver that saw it already can drop the repeat.
          ...(notification.eventId ? { 'idempotency-key': notification.eventId } : {}),
          ...(this.#authorization ? { authorization: this.#authorization } : {}),
        },
        body,
        signal,
        // Not followed: the receiver's Location could send the token and the email anywhere.
        redirect: 'manual',
      });
      // Read (capped) so keep-alive sockets are reused; the body itself is never shown (it may echo the token).
      read = await readCappedText(response, MAX_WEBHOOK_RESPONSE_BYTES);
    } catch (error) {
      throw new WebhookError(
        `webhook ${this.displayUrl} unreachable (${errorCode(error)})`,
        `check that the endpoint is up and reachable from the worker, or fix ${URL_SETTING}`,
        true,
      );
    }
    if (read === undefined) {
      throw new WebhookError(
        `webhook ${this.displayUrl} answered with a body over ${describeBytes(MAX_WEBHOOK_RESPONSE_BYTES)}`,
        `a webhook receiver should answer briefly; check that ${URL_SETTING} points at the receiver`,
        false,
      );
    }
    if (!response.ok) throw statusError(this.displayUrl, response.status);
  }
}
