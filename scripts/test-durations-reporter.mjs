/**
 * A second reporter for `npm run test:run`: after the summary, the test files that took longest (their top-level
 * tests summed), so whoever speeds the suite up next starts from figures instead of guesses.
 */
import path from 'node:path';
import process from 'node:process';

const SHOWN = 15;

export default async function* testDurations(source) {
  const perFile = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, file, details } = event.data;
    if (nesting !== 0 || !file) continue;
    const name = path.relative(process.cwd(), file);
    perFile.set(name, (perFile.get(name) ?? 0) + (details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  yield `\nslowest test files (of ${rows.length}, ${(total / 60_000).toFixed(1)} min in all):\n`;
  for (const [file, ms] of rows.slice(0, SHOWN)) yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file}\n`;
}
