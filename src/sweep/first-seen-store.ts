import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SweepMemory } from '../activities/deps';

const fileSchema = z.record(z.string(), z.string());

/**
 * When the sweep first saw each API-only user, for `maxLifetime` counted from first sight (Marketo's user
 * record has no creation date). One JSON file in the data folder, written atomically; a worker process owns
 * it, so deployments with several sweeping workers should put an implementation on shared storage here.
 */
export class FileFirstSeenStore implements SweepMemory {
  private cache: Record<string, string> | undefined;

  constructor(private readonly file: string) {}

  private load(): Record<string, string> {
    if (this.cache) return this.cache;
    try {
      this.cache = fileSchema.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(
          `${this.file} is not a first-seen record (${(error as Error).message}); move it away to start afresh`,
        );
      }
      this.cache = {};
    }
    return this.cache;
  }

  firstSeenOf(userids: string[]): Promise<Record<string, string>> {
    const seen = this.load();
    const result: Record<string, string> = {};
    for (const userid of userids) {
      const at = seen[userid.toLowerCase()];
      if (at) result[userid] = at;
    }
    return Promise.resolve(result);
  }

  recordFirstSeen(userids: string[], at: string): Promise<Record<string, string>> {
    const seen = this.load();
    let changed = false;
    const result: Record<string, string> = {};
    for (const userid of userids) {
      const key = userid.toLowerCase();
      if (!seen[key]) {
        seen[key] = at;
        changed = true;
      }
      result[userid] = seen[key];
    }
    if (changed) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(`${this.file}.tmp`, JSON.stringify(seen), { mode: 0o600 });
      fs.renameSync(`${this.file}.tmp`, this.file);
    }
    return Promise.resolve(result);
  }
}
