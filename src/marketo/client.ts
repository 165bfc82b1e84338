/**
 * The Marketo client: one object per connection, its endpoint methods flat on it (in the spirit of
 * stripe-node: one configured instance, injectable HTTP, typed errors, auto-paging iterators), holding the
 * token source and the call budget it shares with other clients of the same instance.
 */
import { CallBudget, type CallBudgetOptions, sharedCallBudget } from './call-budget';
import { MarketoConfigError, parseMarketoConfig, type MarketoConfigInput } from './config';
import type { FetchLike, MarketoCallHook, Transport } from './http';
import { MarketoHttp } from './http';
import { defaultTokenCache, MarketoIdentity, type TokenCache, type TokenInfo } from './identity';
import { MarketoUsage } from './usage';
import { MarketoUserManagement, type RequestOptions } from './user-management';

export interface MarketoClientOptions extends Omit<MarketoConfigInput, 'budget'> {
  /**
   * A `CallBudget` to share, limits for one, or `'unlimited'`. Omitted or given as limits, clients of the
   * same base URL with the same limits share one process-wide budget, since Marketo counts per instance.
   */
  budget?: CallBudget | CallBudgetOptions | 'unlimited' | undefined;
  /** Defaults to the global `fetch`. */
  fetch?: FetchLike | undefined;
  /** Called after every HTTP exchange (identity and User Management), for metrics. */
  onCall?: MarketoCallHook | undefined;
  /** Defaults to a process-wide cache. */
  tokenCache?: TokenCache | undefined;
  /** The clock for token lifetimes and error waits; tests move it. */
  now?: (() => number) | undefined;
}

const sharedBudgetsByLimits = new Map<string, CallBudget>();

function budgetFor(baseUrl: string, budget: MarketoClientOptions['budget']): CallBudget {
  if (budget instanceof CallBudget) return budget;
  if (budget === 'unlimited') return CallBudget.unlimited();
  if (budget === undefined) return sharedCallBudget(baseUrl);
  const limits = new CallBudget(budget).limits;
  const key = `${baseUrl}|${JSON.stringify(limits)}`;
  let shared = sharedBudgetsByLimits.get(key);
  if (!shared) {
    shared = new CallBudget(budget);
    sharedBudgetsByLimits.set(key, shared);
  }
  return shared;
}

export class MarketoClient extends MarketoUserManagement {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly timeoutMs: number;
  readonly budget: CallBudget;
  /** The Usage API (calls per API user per day, errors by code), through the same token and budget. */
  readonly usage: MarketoUsage;
  readonly #identity: MarketoIdentity;

  constructor(options: MarketoClientOptions) {
    const { budget, fetch, onCall, tokenCache, now, ...settings } = options;
    const config = parseMarketoConfig({ ...settings, budget: 'unlimited' });
    const clock = now ?? Date.now;
    const fetchImpl: FetchLike | undefined = fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') {
      throw new MarketoConfigError([{ setting: 'fetch', message: 'is not available; pass one' }]);
    }
    const transport: Transport = { fetch: fetchImpl, timeoutMs: config.timeoutMs, now: clock, onCall };
    const identity = new MarketoIdentity({
      credentials: { baseUrl: config.baseUrl, clientId: config.clientId, clientSecret: config.clientSecret },
      transport,
      cache: tokenCache ?? defaultTokenCache,
    });
    const callBudget = budgetFor(config.baseUrl, budget);
    super(new MarketoHttp({ baseUrl: config.baseUrl, transport, tokens: identity, budget: callBudget }));
    this.baseUrl = config.baseUrl;
    this.clientId = config.clientId;
    this.timeoutMs = config.timeoutMs;
    this.budget = callBudget;
    this.usage = new MarketoUsage(this.http);
    this.#identity = identity;
  }

  /** Scope (the owning API-only user's email) and remaining life of this client's own token. */
  async getTokenInfo(options: RequestOptions = {}): Promise<TokenInfo> {
    return await this.#identity.tokenInfo(options.signal);
  }

  /**
   * Checks other credentials of the same instance (a custom service the operator created) without caching
   * their token. Bad credentials reject with `code: 'invalid_client'`, not retryable.
   */
  async verifyCredentials(
    clientId: string,
    clientSecret: string,
    options: RequestOptions = {},
  ): Promise<TokenInfo> {
    return await this.#identity.verifyCredentials(clientId, clientSecret, options.signal);
  }

  toJSON(): Record<string, unknown> {
    return {
      baseUrl: this.baseUrl,
      clientId: this.clientId,
      timeoutMs: this.timeoutMs,
      budget: this.budget.limits,
    };
  }
}

/** Validates the options (errors name the option, never its value) and builds a client. */
export function createMarketoClient(options: MarketoClientOptions): MarketoClient {
  return new MarketoClient(options);
}
