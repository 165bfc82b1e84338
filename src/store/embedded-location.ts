/**
 * Where a data folder keeps its embedded database, apart from the code that starts it so that commands can
 * ask without loading PGlite.
 */
import fs from 'node:fs';
import path from 'node:path';

export const EMBEDDED_DATABASE_DIR = 'database';
/** Holds the pid of the one process that has the database open (PGlite's files are one process's). */
export const EMBEDDED_DATABASE_LOCK_FILE = 'database.lock';
/** The 0700 folder of the database's unix socket, when its path fits a socket address. */
export const EMBEDDED_DATABASE_SOCKET_DIR = 'database-socket';

export function hasEmbeddedDatabase(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, EMBEDDED_DATABASE_DIR, 'PG_VERSION'));
}
