import type { SweepMemory } from '../../activities/deps';
import type { Database, Tx } from './db';

async function recordedOf(tx: Tx, keys: string[]): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ userid: string; first_seen_at: string }>(
    'SELECT userid, first_seen_at FROM first_seen WHERE userid = ANY($1::text[])',
    [keys],
  );
  return new Map(rows.map((row) => [row.userid, row.first_seen_at]));
}

// Object.fromEntries defines own properties, so `__proto__` or `constructor` is an ordinary key here.
function answer(userids: string[], seen: Map<string, string>): Record<string, string> {
  const result: [string, string][] = [];
  for (const userid of userids) {
    const at = seen.get(userid.toLowerCase());
    if (at) result.push([userid, at]);
  }
  return Object.fromEntries(result);
}

/**
 * When the sweep first saw each API-only user, shared by every worker: the same semantics as
 * FileFirstSeenStore. Userids match case-insensitively (kept lowercased), answers are keyed by the userid as
 * asked, and the first date recorded wins, also when two workers record the same user at once.
 */
export class PostgresFirstSeenStore implements SweepMemory {
  constructor(private readonly db: Database) {}

  async firstSeenOf(userids: string[]): Promise<Record<string, string>> {
    if (userids.length === 0) return {};
    const keys = [...new Set(userids.map((userid) => userid.toLowerCase()))];
    return answer(userids, await this.db.transaction((tx) => recordedOf(tx, keys)));
  }

  async recordFirstSeen(userids: string[], at: string): Promise<Record<string, string>> {
    if (userids.length === 0) return {};
    const keys = [...new Set(userids.map((userid) => userid.toLowerCase()))];
    const seen = await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO first_seen (userid, first_seen_at) SELECT key, $2 FROM unnest($1::text[]) AS key
           ON CONFLICT (userid) DO NOTHING`,
        [keys, at],
      );
      return recordedOf(tx, keys);
    });
    return answer(userids, seen);
  }
}
