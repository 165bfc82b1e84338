import { usageCollectionSchema, type UsageCollection, type UsageLookup } from '../../domain/usage';
import type { UsageLedger } from '../types';
import type { Database } from './db';

/**
 * The usage ledger in PostgreSQL, shared by every worker and the CLI. Userids are kept lowercased (Marketo
 * matches them case-insensitively); days are Marketo's `YYYY-MM-DD`, which sort as text.
 */
export class PostgresUsageLedger implements UsageLedger {
  constructor(private readonly db: Database) {}

  async record(input: UsageCollection): Promise<void> {
    const { instance, collectedDay, coveredSince, rows } = usageCollectionSchema.parse(input);
    await this.db.transaction(async (tx) => {
      if (rows.length > 0) {
        await tx.query(
          `INSERT INTO usage_daily (instance, day, userid, calls)
             SELECT $1, day, userid, calls
               FROM unnest($2::text[], $3::text[], $4::int[]) AS r(day, userid, calls)
           ON CONFLICT (instance, userid, day) DO UPDATE SET calls = GREATEST(usage_daily.calls, EXCLUDED.calls)`,
          [
            instance,
            rows.map((row) => row.day),
            rows.map((row) => row.userid.toLowerCase()),
            rows.map((row) => row.calls),
          ],
        );
      }
      await tx.query(
        `INSERT INTO usage_coverage (instance, covered_since, last_collected) VALUES ($1, $2, $3)
         ON CONFLICT (instance) DO UPDATE SET
           covered_since = LEAST(usage_coverage.covered_since, EXCLUDED.covered_since),
           last_collected = GREATEST(usage_coverage.last_collected, EXCLUDED.last_collected)`,
        [instance, coveredSince, collectedDay],
      );
    });
  }

  async lastUsedOf(instance: string, userids: string[]): Promise<UsageLookup> {
    const keys = [...new Set(userids.map((userid) => userid.toLowerCase()))];
    return this.db.transaction(async (tx) => {
      const coverage = await tx.query<{ covered_since: string; last_collected: string }>(
        'SELECT covered_since, last_collected FROM usage_coverage WHERE instance = $1',
        [instance],
      );
      const { rows } = await tx.query<{ userid: string; last_day: string }>(
        `SELECT userid, max(day) AS last_day FROM usage_daily
          WHERE instance = $1 AND userid = ANY($2::text[]) AND calls > 0 GROUP BY userid`,
        [instance, keys],
      );
      const byKey = new Map(rows.map((row) => [row.userid, row.last_day]));
      const lastUsed: [string, string][] = [];
      for (const userid of userids) {
        const day = byKey.get(userid.toLowerCase());
        if (day !== undefined) lastUsed.push([userid, day]);
      }
      return {
        coveredSince: coverage.rows[0]?.covered_since ?? null,
        lastCollected: coverage.rows[0]?.last_collected ?? null,
        lastUsed: Object.fromEntries(lastUsed),
      };
    });
  }

  async dailyCallsOf(instance: string, userid: string): Promise<{ day: string; calls: number }[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ day: string; calls: number }>(
        'SELECT day, calls FROM usage_daily WHERE instance = $1 AND userid = $2 ORDER BY day',
        [instance, userid.toLowerCase()],
      );
      return rows.map((row) => ({ day: row.day, calls: Number(row.calls) }));
    });
  }
}
