/**
 * PGlite's initdb runs in WASM and takes seconds (3 s on an idle 2-core machine, over 10 s under load); a copy of
 * an initialised data folder starts in a fraction of one. The template is made once per machine and PGlite
 * version in the cache folder (outside any repository), atomically, so concurrent first starts never see half
 * of one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** The installed PGlite's version, which names the template's folder (its package exports no package.json). */
function pgliteVersion(): string {
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  for (; path.basename(dir) !== 'pglite' && path.dirname(dir) !== dir; dir = path.dirname(dir));
  const { version } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return version;
}

/** A data folder PostgreSQL initialised has this file; an empty or missing folder does not. */
function isInitialised(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'PG_VERSION'));
}

function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

export function templateDirFor(cacheDir: string): string {
  return path.join(cacheDir, `pglite-${pgliteVersion()}-template`);
}

/** The machine's template, made on first use: initdb into a private temp folder, then one rename. */
export async function ensureTemplate(cacheDir: string): Promise<string> {
  const template = templateDirFor(cacheDir);
  if (isInitialised(template)) return template;
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const building = `${template}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = await PGlite.create({ dataDir: building });
    await db.query('SELECT 1');
    await db.close();
    fs.renameSync(building, template);
  } catch (error) {
    // Another process finished its template first: theirs serves as well.
    if (!isInitialised(template)) throw error;
  } finally {
    fs.rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** A fresh data folder becomes a copy of the template; an initialised one (a later start) is left as it is. */
export async function seedFromTemplate(dataDir: string, cacheDir: string): Promise<void> {
  if (!isEmptyOrMissing(dataDir)) return;
  const template = await ensureTemplate(cacheDir);
  fs.cpSync(template, dataDir, { recursive: true });
  fs.chmodSync(dataDir, 0o700);
}
