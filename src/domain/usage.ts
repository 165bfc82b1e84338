/**
 * The usage ledger's shapes and its one rule about days: Marketo counts calls per day (its day ends at
 * midnight America/Chicago) and forgets them after 7 days, so the product keeps them and judges idleness
 * from the last day a user made a call. Workflow-safe: no I/O, no clock of its own.
 */
import { z } from 'zod';

/** Marketo forgets usage after this many days, today included. */
export const MARKETO_USAGE_DAYS = 7;

const DAY_MS = 86_400_000;

export const usageDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD');

export const usageRowSchema = z.strictObject({
  day: usageDaySchema,
  userid: z.string().trim().min(1).max(254),
  calls: z.number().int().min(0),
});
export type UsageRow = z.infer<typeof usageRowSchema>;

/** One reading of Marketo's Usage API, as the collector stores it. */
export const usageCollectionSchema = z.strictObject({
  /** The Marketo instance (its normalized base URL): one store may serve several. */
  instance: z.string().min(1).max(500),
  /** Marketo's day when it was read. */
  collectedDay: usageDaySchema,
  /** The oldest day the reading covers: a user without a row since then made no call since then. */
  coveredSince: usageDaySchema,
  rows: z.array(usageRowSchema).max(200_000),
});
export type UsageCollection = z.infer<typeof usageCollectionSchema>;

/** What the ledger knows of some users: their last day with calls, and since when it has been keeping count. */
export interface UsageLookup {
  /** The oldest day any collection covered for the instance; null before the first collection. */
  coveredSince: string | null;
  /** Marketo's day of the latest collection; null before the first. */
  lastCollected: string | null;
  /** Keyed by the userid as asked; users without a call in the ledger are absent. */
  lastUsed: Record<string, string>;
}

export const lastUsedSchema = z.object({
  /** The last Marketo day with a call; null when none is recorded. */
  lastUsedAt: usageDaySchema.nullable(),
  /** Whole days since `lastUsedAt` (or, never used, since `neverUsedSince`); null before any collection. */
  idleDays: z.number().int().min(0).nullable(),
  /** Set when the credential made no call the ledger knows of: the first day the ledger covers. */
  neverUsedSince: usageDaySchema.nullable(),
});
export type LastUsed = z.infer<typeof lastUsedSchema>;

/** The calendar day `days` before `day`. */
export function daysBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`), never negative. */
export function daysBetween(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS));
}

/** Marketo's day (America/Chicago) at `atMs`. */
export function marketoDayOf(atMs: number): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Chicago',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(atMs);
}

/** How `status` and `list` say it: the last day used and the idle days, or never used since the ledger began. */
export function describeLastUsed(
  lastUsedDay: string | undefined,
  coveredSince: string | null,
  today: string,
): LastUsed {
  if (lastUsedDay !== undefined) {
    return { lastUsedAt: lastUsedDay, idleDays: daysBetween(lastUsedDay, today), neverUsedSince: null };
  }
  if (coveredSince === null) return { lastUsedAt: null, idleDays: null, neverUsedSince: null };
  return { lastUsedAt: null, idleDays: daysBetween(coveredSince, today), neverUsedSince: coveredSince };
}

/** The lookup's day for `userid`, matched case-insensitively as Marketo matches userids. */
export function lastUsedDayOf(lookup: UsageLookup, userid: string): string | undefined {
  return lookup.lastUsed[userid] ?? lookup.lastUsed[userid.toLowerCase()];
}
