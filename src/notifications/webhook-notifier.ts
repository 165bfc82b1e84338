import { type LifecycleNotification, type Notifier, prepareNotification } from './types';

export interface WebhookNotifierOptions {
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Whole request, headers and body. Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Path segments this long are usually tokens (Slack: /services/T…/B…/<token>, Discord: /webhooks/<id>/<token>).
const TOKEN_LIKE_SEGMENT_LENGTH = 12;

/**
 * A webhook URL safe to show in errors and logs: webhook URLs often are the credential, in the
 * query string, the userinfo or the path. Keeps scheme, host and short path segments.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[invalid URL]';
  }
  const pathname = parsed.pathname
    .split('/')
    .map((segment) => (segment.length >= TOKEN_LIKE_SEGMENT_LENGTH ? '[redacted]' : segment))
    .join('/');
  const query = parsed.search === '' ? '' : '?[redacted]';
  return `${parsed.protocol}//${parsed.host}${pathname}${query}`;
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

/**
 * POSTs each notification as JSON. The body is the notification plus a `text` line, so Slack-style
 * incoming webhooks show something useful without an adapter. Throws on non-2xx so the caller (an
 * activity) retries; no retry here, to keep one retry policy.
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
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#authorization ? { authorization: this.#authorization } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new Error(
        `webhook ${this.displayUrl} unreachable (${errorCode(error)}): check that the endpoint is up and ` +
          `reachable from the worker, or fix MARKETO_API_USERS_WEBHOOK_URL`,
      );
    }
    // Drain so keep-alive sockets are reused; the body itself is never shown (it may echo the token).
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) {
      const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      const hint =
        response.status === 401 || response.status === 403 || response.status === 404
          ? 'the URL or its token is probably wrong or revoked: fix MARKETO_API_USERS_WEBHOOK_URL'
          : response.status >= 500
            ? 'the receiving service failed: check its logs; the notification will be retried'
            : 'the receiving service rejected the request: check it accepts POST application/json';
      throw new Error(`webhook ${this.displayUrl} answered HTTP ${status}: ${hint}`);
    }
  }
}
