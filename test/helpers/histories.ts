import fs from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';

/** Recorded histories live in test/histories/<bundle>/<name>.json, replayed on every run. */
export const HISTORIES_DIR = path.join(__dirname, '..', 'histories');

export function saveHistory(bundle: string, name: string, history: temporal.api.history.v1.IHistory): string {
  const file = path.join(HISTORIES_DIR, bundle, `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, historyToJSON(history) + '\n');
  return file;
}

export function loadHistories(
  bundle: string,
): { workflowId: string; history: temporal.api.history.v1.IHistory }[] {
  const dir = path.join(HISTORIES_DIR, bundle);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('-keys.json'))
    .sort()
    .map((f) => ({
      workflowId: path.basename(f, '.json'),
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
}
