/**
 * The usage ledger of the file store: one JSON file in the data folder, written atomically (0600), with the
 * same semantics as PostgresUsageLedger. Right for one machine; a shared deployment uses PostgreSQL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  usageCollectionSchema,
  usageDaySchema,
  type UsageCollection,
  type UsageLookup,
} from '../domain/usage';
import { ensurePrivateDir } from '../security/private-dir';
import type { UsageLedger } from './types';

const ledgerFileSchema = z.object({
  /** instance -> [coveredSince, lastCollected] */
  coverage: z.array(z.tuple([z.string(), usageDaySchema, usageDaySchema])),
  /** [instance, lowercased userid, day, calls] */
  counts: z.array(z.tuple([z.string(), z.string(), usageDaySchema, z.number().int().min(0)])),
});
type LedgerFile = z.infer<typeof ledgerFileSchema>;

function countKey(instance: string, userid: string, day: string): string {
  return JSON.stringify([instance, userid, day]);
}

export class FileUsageLedger implements UsageLedger {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  record(input: UsageCollection): Promise<void> {
    const run = this.#queue.then(() => this.recordNow(usageCollectionSchema.parse(input)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async lastUsedOf(instance: string, userids: string[]): Promise<UsageLookup> {
    const ledger = await this.read();
    const coverage = ledger.coverage.find(([name]) => name === instance);
    const latest = new Map<string, string>();
    for (const [name, userid, day, calls] of ledger.counts) {
      if (name !== instance || calls === 0) continue;
      if ((latest.get(userid) ?? '') < day) latest.set(userid, day);
    }
    const lastUsed: [string, string][] = [];
    for (const userid of userids) {
      const day = latest.get(userid.toLowerCase());
      if (day !== undefined) lastUsed.push([userid, day]);
    }
    return {
      coveredSince: coverage?.[1] ?? null,
      lastCollected: coverage?.[2] ?? null,
      lastUsed: Object.fromEntries(lastUsed),
    };
  }

  async dailyCallsOf(instance: string, userid: string): Promise<{ day: string; calls: number }[]> {
    const key = userid.toLowerCase();
    return (await this.read()).counts
      .filter(([name, id]) => name === instance && id === key)
      .map(([, , day, calls]) => ({ day, calls }))
      .sort((a, b) => a.day.localeCompare(b.day));
  }

  /** The whole ledger as one collection per instance: what a move into another store records. */
  async collections(): Promise<UsageCollection[]> {
    const ledger = await this.read();
    return ledger.coverage.map(([instance, coveredSince, collectedDay]) => ({
      instance,
      coveredSince,
      collectedDay,
      rows: ledger.counts
        .filter(([name]) => name === instance)
        .map(([, userid, day, calls]) => ({ day, userid, calls })),
    }));
  }

  private async recordNow({ instance, collectedDay, coveredSince, rows }: UsageCollection): Promise<void> {
    const ledger = await this.read();
    const counts = new Map(ledger.counts.map((entry) => [countKey(entry[0], entry[1], entry[2]), entry]));
    for (const row of rows) {
      const userid = row.userid.toLowerCase();
      const key = countKey(instance, userid, row.day);
      const calls = Math.max(counts.get(key)?.[3] ?? 0, row.calls);
      counts.set(key, [instance, userid, row.day, calls]);
    }
    const others = ledger.coverage.filter(([name]) => name !== instance);
    const known = ledger.coverage.find(([name]) => name === instance);
    const since = known && known[1] < coveredSince ? known[1] : coveredSince;
    const last = known && known[2] > collectedDay ? known[2] : collectedDay;
    await this.write({ coverage: [...others, [instance, since, last]], counts: [...counts.values()] });
  }

  private async read(): Promise<LedgerFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { coverage: [], counts: [] };
      throw error;
    }
    const parsed = ledgerFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw new Error(`${this.file} is not a usage ledger; move it away and collect usage again`);
    }
    return parsed.data;
  }

  private async write(ledger: LedgerFile): Promise<void> {
    ensurePrivateDir(path.dirname(this.file), {
      what: 'data folder',
      elsewhere: 'MARKETO_API_USERS_DATA_DIR',
    });
    await fs.writeFile(`${this.file}.tmp`, JSON.stringify(ledger), { mode: 0o600 });
    await fs.rename(`${this.file}.tmp`, this.file);
  }
}
