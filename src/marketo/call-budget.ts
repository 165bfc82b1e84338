/**
 * The process-local half of Marketo's call budget.
 *
 * Marketo's limits are per instance and shared by every integration (100 calls per 20 s, 10 concurrent,
 * a daily quota); Marketo asks each integration to stay under 50 calls per 20 s and 5 concurrent calls.
 * Two layers keep us there:
 *
 * - Across processes: the worker runs Marketo activities on a dedicated Temporal task queue with
 *   `maxTaskQueueActivitiesPerSecond`, a limit the Temporal server enforces for all workers of that queue
 *   together. That is wired in the worker, not here.
 * - Inside one process: this `CallBudget`, a sliding window of `calls` per `windowMs` plus a cap on
 *   concurrent requests. Every User Management request acquires a slot before it is sent; identity calls
 *   do not count, as Marketo does not count them.
 *
 * A call occupies its window slot from the moment it starts until `windowMs` after it COMPLETES. Marketo
 * counts a call when it arrives, which is somewhere between our start and our completion, so counting
 * from completion guarantees that no server-side window of the same length ever sees more than `calls`
 * of our requests, whatever the network latency. (Counting from the start does not: with limits equal to
 * the server's, a call that starts just as an old one leaves our window can arrive while that old one is
 * still inside the server's, and get a 606. The contract suite shows it.)
 *
 * Waiting for a slot is throttling, not retrying: the request is sent once, later. Share one budget among
 * every client of one Marketo instance in a process (the default does so per base URL); pass
 * `'unlimited'` to switch it off, for example when the task-queue limit alone is wanted.
 */
import { z } from 'zod';
import { abortReason } from './abort';

export const CallBudgetLimitsSchema = z.object({
  /** Request starts allowed in any window. */
  calls: z.number().int().positive().default(50),
  /** The sliding window's length. */
  windowMs: z.number().int().positive().default(20_000),
  /** Requests in flight at once. */
  maxConcurrent: z.number().int().positive().default(5),
});
/** What a caller may pass: every field optional, defaults as Marketo recommends. */
export type CallBudgetOptions = z.input<typeof CallBudgetLimitsSchema>;
/** The limits in force, every field set. */
export type CallBudgetLimits = z.output<typeof CallBudgetLimitsSchema>;

export const DEFAULT_CALL_BUDGET: CallBudgetLimits = CallBudgetLimitsSchema.parse({});

export interface CallBudgetSnapshot {
  inFlight: number;
  /** Calls holding a window slot: in flight, or completed less than `windowMs` ago. */
  callsInWindow: number;
  waiting: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class CallBudget {
  /** `'unlimited'` when the budget never makes anyone wait. */
  readonly limits: CallBudgetLimits | 'unlimited';
  readonly #now: () => number;
  /** Completion times of calls still inside the window, oldest first. */
  readonly #ends: number[] = [];
  readonly #waiters: Waiter[] = [];
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;

  constructor(options: CallBudgetOptions | 'unlimited' = {}, clock: { now?: () => number } = {}) {
    this.limits = options === 'unlimited' ? 'unlimited' : CallBudgetLimitsSchema.parse(options);
    this.#now = clock.now ?? Date.now;
  }

  static unlimited(): CallBudget {
    return new CallBudget('unlimited');
  }

  get isUnlimited(): boolean {
    return this.limits === 'unlimited';
  }

  /**
   * Waits for a slot and takes it; the returned function reports completion, which frees the concurrency
   * slot at once and the window slot `windowMs` later. Waiters are served first come, first served. An
   * aborted `signal` removes the waiter and rejects with the signal's reason, like fetch does.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#waiters.length === 0 && this.#canStart()) return Promise.resolve(this.#take());
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortReason(signal));
          this.#pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  /** Runs `task` inside a slot and gives the slot back however the task ends. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  snapshot(): CallBudgetSnapshot {
    this.#prune();
    return {
      inFlight: this.#inFlight,
      callsInWindow: this.#inFlight + this.#ends.length,
      waiting: this.#waiters.length,
    };
  }

  #prune(): void {
    if (this.limits === 'unlimited') return;
    const horizon = this.#now() - this.limits.windowMs;
    while (this.#ends.length > 0 && (this.#ends[0] ?? Infinity) <= horizon) this.#ends.shift();
  }

  #canStart(): boolean {
    if (this.limits === 'unlimited') return true;
    this.#prune();
    return (
      this.#inFlight < this.limits.maxConcurrent && this.#inFlight + this.#ends.length < this.limits.calls
    );
  }

  #take(): () => void {
    if (this.limits === 'unlimited') return () => undefined;
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      this.#ends.push(this.#now());
      this.#pump();
    };
  }

  #pump(): void {
    while (this.#waiters.length > 0 && this.#canStart()) {
      const waiter = this.#waiters.shift();
      if (!waiter) break;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#take());
    }
    this.#schedule();
  }

  /** Wakes the queue when the oldest completion slides out of the window; a release wakes it otherwise. */
  #schedule(): void {
    if (this.limits === 'unlimited') return;
    const windowFull = this.#inFlight + this.#ends.length >= this.limits.calls;
    const oldest = this.#ends[0];
    if (this.#waiters.length === 0 || !windowFull || oldest === undefined) {
      this.#clearTimer();
      return;
    }
    const at = oldest + this.limits.windowMs;
    if (this.#timer && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.#pump();
      },
      Math.max(0, at - this.#now()) + 1,
    );
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }
}

const sharedBudgets = new Map<string, CallBudget>();

/**
 * The process-wide budget for one Marketo instance with the recommended limits: clients created without
 * an explicit budget share it, because Marketo counts per instance, not per client object.
 */
export function sharedCallBudget(baseUrl: string): CallBudget {
  let budget = sharedBudgets.get(baseUrl);
  if (!budget) {
    budget = new CallBudget();
    sharedBudgets.set(baseUrl, budget);
  }
  return budget;
}
