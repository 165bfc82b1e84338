/**
 * Last used and idle days for `status` and `list`, read from the usage ledger the daily collector fills.
 * The client reads the store rather than asking lifecycles: no workflow change, no history growth, one
 * query for a whole page of `list`, and hand-made users (which have no lifecycle) are judged the same way.
 */
import { describeLastUsed, lastUsedDayOf, marketoDayOf, type LastUsed } from './domain/usage';
import { normalizeBaseUrl } from './marketo/config';
import type { UsageLedger } from './store/types';

/** Unknown: no collection yet, no Marketo instance configured, or the store did not answer. */
export const USAGE_UNKNOWN: LastUsed = { lastUsedAt: null, idleDays: null, neverUsedSince: null };

/** Each userid's last use as `status` and `list` show it; every one USAGE_UNKNOWN when the ledger cannot say. */
export async function lastUsedOfUsers(
  ledger: () => Promise<UsageLedger>,
  marketoBaseUrl: string | undefined,
  userids: string[],
  nowMs: number,
): Promise<(userid: string) => LastUsed> {
  if (marketoBaseUrl === undefined || userids.length === 0) return () => USAGE_UNKNOWN;
  try {
    const lookup = await (await ledger()).lastUsedOf(normalizeBaseUrl(marketoBaseUrl), userids);
    const today = marketoDayOf(nowMs);
    return (userid) => describeLastUsed(lastUsedDayOf(lookup, userid), lookup.coveredSince, today);
  } catch {
    // Usage is an addition to status and list: a store that is down must not take them away.
    return () => USAGE_UNKNOWN;
  }
}

/** One line for people: `2030-06-20 (3 days idle)`, `never used since 2030-06-15 (9 days)`, or `unknown`. */
export function describeUsage(usage: LastUsed): string {
  if (usage.lastUsedAt !== null) return `${usage.lastUsedAt} (${plural(usage.idleDays ?? 0)} idle)`;
  if (usage.neverUsedSince !== null) {
    return `never used since ${usage.neverUsedSince} (${plural(usage.idleDays ?? 0)})`;
  }
  return 'unknown (no usage collected yet: `marketo-api-users collect-usage`)';
}

function plural(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}
