/**
 * Marketo's instance-wide limits: a call rate over a sliding window, a cap on concurrent calls and a
 * daily quota that resets at midnight US Central. Only User Management calls reach this module.
 */

export interface RateLimit {
  calls: number;
  windowMs: number;
}

export interface LimitSettings {
  rateLimit: RateLimit;
  maxConcurrent: number;
  dailyQuota: number;
}

export type LimitRefusal = { code: '606' | '607'; message: string };

const chicagoDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/Chicago',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

export function quotaDay(at: number): string {
  return chicagoDay.format(at);
}

export class InstanceLimits {
  private inFlight = 0;
  private peakInFlight = 0;
  private recentCalls: number[] = [];
  private quotaDayKey = '';
  private usedToday = 0;

  constructor(
    readonly settings: LimitSettings,
    private readonly now: () => number,
  ) {}

  /**
   * Counts a request as in flight, from the moment its body is read and its token accepted (the server calls it
   * then); false when that makes too many at once.
   */
  enter(): boolean {
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    return this.inFlight <= this.settings.maxConcurrent;
  }

  leave(): void {
    this.inFlight -= 1;
  }

  /**
   * Takes one call from the rate window and the daily quota, or says which limit refuses it. A refused
   * call takes nothing, so a client that backs off for one window gets through again.
   */
  takeCall(): LimitRefusal | undefined {
    const at = this.now();
    const { calls, windowMs } = this.settings.rateLimit;
    this.recentCalls = this.recentCalls.filter((callAt) => callAt > at - windowMs);
    if (this.recentCalls.length >= calls) {
      return { code: '606', message: rateLimitMessage(this.settings.rateLimit) };
    }
    const day = quotaDay(at);
    if (day !== this.quotaDayKey) {
      this.quotaDayKey = day;
      this.usedToday = 0;
    }
    if (this.usedToday >= this.settings.dailyQuota) {
      return { code: '607', message: `Daily quota '${this.settings.dailyQuota}' reached` };
    }
    this.recentCalls.push(at);
    this.usedToday += 1;
    return undefined;
  }

  view(): { inFlight: number; peakInFlight: number; callsInWindow: number; quotaUsedToday: number } {
    const at = this.now();
    return {
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      callsInWindow: this.recentCalls.filter((callAt) => callAt > at - this.settings.rateLimit.windowMs)
        .length,
      quotaUsedToday: quotaDay(at) === this.quotaDayKey ? this.usedToday : 0,
    };
  }

  resetPeak(): void {
    this.peakInFlight = this.inFlight;
  }
}

/** Marketo's own wording, typo included, so that a client matching on it behaves as in production. */
export function rateLimitMessage({ calls, windowMs }: RateLimit): string {
  return `Max rate limit '${calls}' exceeded with in '${formatSeconds(windowMs)}' secs`;
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(3).replace(/0+$/, '');
}
