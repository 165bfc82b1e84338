import {
  daysBefore,
  MARKETO_USAGE_DAYS,
  marketoDayOf,
  type UsageCollection,
  type UsageRow,
} from '../domain/usage';
import type { MarketoDailyErrors, MarketoDailyUsage } from '../marketo/schemas';
import type { ActivityDeps } from './deps';
import type { UsageActivities, UsageCollectionReport } from './types';

/**
 * Marketo's day of the reading: the newest day it answered for (a read counts itself, so today is there),
 * else the worker's own Marketo day. Following Marketo's clock keeps a sandbox with a moved clock honest.
 */
function collectedDayOf(usage: MarketoDailyUsage[], errors: MarketoDailyErrors[]): string {
  const days = [...usage, ...errors].map((entry) => entry.date).sort();
  return days.at(-1) ?? marketoDayOf(Date.now());
}

function rowsOf(usage: MarketoDailyUsage[]): UsageRow[] {
  return usage.flatMap((day) =>
    day.users.map((user) => ({ day: day.date, userid: user.userId, calls: user.count })),
  );
}

function errorsByCode(errors: MarketoDailyErrors[]): Record<string, number> {
  const tally = new Map<string, number>();
  for (const day of errors) {
    for (const error of day.errors)
      tally.set(error.errorCode, (tally.get(error.errorCode) ?? 0) + error.count);
  }
  return Object.fromEntries(tally);
}

/** The daily collector's one activity: two Usage API reads, then the store. Runs on the Marketo queue. */
export function createUsageActivities({
  marketo,
  usage,
}: Pick<ActivityDeps, 'marketo' | 'usage'>): UsageActivities {
  return {
    async collectUsage(): Promise<UsageCollectionReport> {
      const days = await marketo.usage.last7DaysUsage();
      const errors = await marketo.usage.last7DaysErrors();
      const collectedDay = collectedDayOf(days, errors);
      const collection: UsageCollection = {
        instance: marketo.baseUrl,
        collectedDay,
        coveredSince: daysBefore(collectedDay, MARKETO_USAGE_DAYS - 1),
        rows: rowsOf(days),
      };
      await usage.record(collection);
      return {
        instance: collection.instance,
        collectedDay,
        coveredSince: collection.coveredSince,
        days: days.length,
        users: new Set(collection.rows.map((row) => row.userid.toLowerCase())).size,
        calls: collection.rows.reduce((sum, row) => sum + row.calls, 0),
        errorsByCode: errorsByCode(errors),
      };
    },
  };
}
