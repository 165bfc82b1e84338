/**
 * What Marketo's Usage API reports: calls per day per API user and errors per day by code, for the last 7
 * days only. Days are Marketo's quota days (America/Chicago), so usage and the daily quota agree on a day.
 */
import { quotaDay } from './limits';

/** Marketo forgets usage after this many days, today included. */
export const USAGE_DAYS_KEPT = 7;

export interface DailyUsage {
  date: string;
  total: number;
  users: { userId: string; count: number }[];
}

export interface DailyErrors {
  date: string;
  total: number;
  errors: { errorCode: string; count: number }[];
}

interface DayTally {
  callsByUser: Map<string, number>;
  errorsByCode: Map<string, number>;
}

const DAY_MS = 86_400_000;

/** The calendar day `days` before `day` (both `YYYY-MM-DD`); day arithmetic only, no time zone. */
export function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);
}

export class UsageLedger {
  private readonly days = new Map<string, DayTally>();

  constructor(private readonly now: () => number) {}

  /** One call by the API user `userid` (the owner of the client id whose token made it). */
  recordCall(userid: string): void {
    const tally = this.today();
    tally.callsByUser.set(userid, (tally.callsByUser.get(userid) ?? 0) + 1);
  }

  /** One answer that carried Marketo error `code`, whoever made the call. */
  recordError(code: string): void {
    const tally = this.today();
    tally.errorsByCode.set(code, (tally.errorsByCode.get(code) ?? 0) + 1);
  }

  /** Today only, always one entry (zero calls included), as `usage.json` answers. */
  usageToday(): DailyUsage[] {
    const day = quotaDay(this.now());
    return [usageOf(day, this.days.get(day))];
  }

  /** One entry per kept day that saw calls, oldest first. */
  usageLast7Days(): DailyUsage[] {
    return this.keptDays()
      .filter(([, tally]) => tally.callsByUser.size > 0)
      .map(([day, tally]) => usageOf(day, tally));
  }

  errorsToday(): DailyErrors[] {
    const day = quotaDay(this.now());
    return [errorsOf(day, this.days.get(day))];
  }

  errorsLast7Days(): DailyErrors[] {
    return this.keptDays()
      .filter(([, tally]) => tally.errorsByCode.size > 0)
      .map(([day, tally]) => errorsOf(day, tally));
  }

  private today(): DayTally {
    this.forgetOldDays();
    const day = quotaDay(this.now());
    let tally = this.days.get(day);
    if (!tally) {
      tally = { callsByUser: new Map(), errorsByCode: new Map() };
      this.days.set(day, tally);
    }
    return tally;
  }

  private keptDays(): [string, DayTally][] {
    this.forgetOldDays();
    return [...this.days.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  private forgetOldDays(): void {
    const oldestKept = daysBefore(quotaDay(this.now()), USAGE_DAYS_KEPT - 1);
    for (const day of this.days.keys()) if (day < oldestKept) this.days.delete(day);
  }
}

function usageOf(date: string, tally: DayTally | undefined): DailyUsage {
  const users = [...(tally?.callsByUser ?? new Map<string, number>())]
    .map(([userId, count]) => ({ userId, count }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
  return { date, total: users.reduce((sum, user) => sum + user.count, 0), users };
}

function errorsOf(date: string, tally: DayTally | undefined): DailyErrors {
  const errors = [...(tally?.errorsByCode ?? new Map<string, number>())]
    .map(([errorCode, count]) => ({ errorCode, count }))
    .sort((a, b) => a.errorCode.localeCompare(b.errorCode));
  return { date, total: errors.reduce((sum, error) => sum + error.count, 0), errors };
}
