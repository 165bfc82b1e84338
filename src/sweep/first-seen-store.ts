import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SweepMemory } from '../activities/deps';

// Validated as entries, not as a record: a record schema builds a plain object and drops a `__proto__` key.
const entriesSchema = z.array(z.tuple([z.string(), z.string()]));

function parseRecord(text: string): Map<string, string> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('not a JSON object');
  }
  return new Map(entriesSchema.parse(Object.entries(parsed)));
}

/**
 * When the sweep first saw each API-only user, for `maxLifetime` counted from first sight (Marketo's user
 * record has no creation date). One JSON file in the data folder, written atomically; a worker process owns
 * it, so deployments with several sweeping workers should put an implementation on shared storage here.
 * Held in a Map and answered with `Object.fromEntries`, so a userid such as `constructor` or `__proto__` is
 * an ordinary key rather than something every object inherits.
 */
export class FileFirstSeenStore implements SweepMemory {
  private cache: Map<string, string> | undefined;

  constructor(readonly file: string) {}

  private load(): Map<string, string> {
    if (this.cache) return this.cache;
    try {
      this.cache = parseRecord(fs.readFileSync(this.file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `${this.file} is not a first-seen record (${(error as Error).message}); move it away to start afresh`,
        );
      }
      this.cache = new Map();
    }
    return this.cache;
  }

  /** Every recorded sighting as [lowercased userid, first-seen date], read anew from the file. */
  entries(): [string, string][] {
    this.cache = undefined;
    return [...this.load()];
  }

  firstSeenOf(userids: string[]): Promise<Record<string, string>> {
    const seen = this.load();
    const result: [string, string][] = [];
    for (const userid of userids) {
      const at = seen.get(userid.toLowerCase());
      if (at) result.push([userid, at]);
    }
    return Promise.resolve(Object.fromEntries(result));
  }

  recordFirstSeen(userids: string[], at: string): Promise<Record<string, string>> {
    const seen = this.load();
    let changed = false;
    const result: [string, string][] = [];
    for (const userid of userids) {
      const key = userid.toLowerCase();
      let first = seen.get(key);
      if (!first) {
        first = at;
        seen.set(key, at);
        changed = true;
      }
      result.push([userid, first]);
    }
    if (changed) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(Object.fromEntries(seen)), { mode: 0o600 });
      fs.renameSync(`${this.file}.tmp`, this.file);
    }
    return Promise.resolve(Object.fromEntries(result));
  }
}
