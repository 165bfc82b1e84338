/**
 * The embedded database of one data folder: PGlite files in `<data dir>/database`, served on a unix socket in a
 * private folder, and a lock file, because PGlite is one process's: two processes opening the same files would
 * corrupt them. `up` holds it while it runs (other commands connect through its socket, named in stack.json);
 * with no `up`, a command that needs the store (`audit`, `move-store`) opens it itself for its own run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessRunning } from '../app/process-liveness';
import { PreconditionError } from '../errors';
import { ensurePrivateDir } from '../security/private-dir';
import { serverCacheDir } from '../temporal-servers/cache-dir';
import {
  EMBEDDED_DATABASE_DIR,
  EMBEDDED_DATABASE_LOCK_FILE,
  EMBEDDED_DATABASE_SOCKET_DIR,
} from './embedded-location';
import { MAX_SOCKET_PATH_BYTES, SOCKET_FILE_NAME, startEmbeddedPostgres } from './postgres/embedded';

/** Another live process has the folder's embedded database open. */
export class EmbeddedDatabaseBusyError extends PreconditionError {}

export interface EmbeddedDatabase {
  databaseUrl: string;
  stop(): Promise<void>;
}

function ownerOf(lockFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the folder's lock, or says who holds it; a lock left by a dead process is taken over. */
function acquireLock(dataDir: string): () => void {
  const lockFile = path.join(dataDir, EMBEDDED_DATABASE_LOCK_FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        if (ownerOf(lockFile) === process.pid) fs.rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(lockFile);
    if (attempt > 0 || (owner !== undefined && isProcessRunning(owner))) {
      throw new EmbeddedDatabaseBusyError(
        `The embedded database in ${dataDir} is open in another process (pid ${owner ?? 'unknown'}): an \`up\`, or a command reading it.`,
        `Run this command while that \`up\` runs (it reaches the database through ${path.join(dataDir, 'stack.json')}), or once the other command has finished.`,
      );
    }
    fs.rmSync(lockFile, { force: true });
  }
}

/** The socket lives beside the data when its path fits a socket address, else in a private temp folder. */
function socketDirFor(dataDir: string): { dir: string; temporary: boolean } {
  const beside = path.join(dataDir, EMBEDDED_DATABASE_SOCKET_DIR);
  if (Buffer.byteLength(path.join(beside, SOCKET_FILE_NAME)) <= MAX_SOCKET_PATH_BYTES) {
    ensurePrivateDir(beside, {
      what: 'database socket folder',
      elsewhere: '--data-dir',
      tightenExisting: true,
    });
    return { dir: beside, temporary: false };
  }
  return { dir: fs.mkdtempSync(path.join(os.tmpdir(), 'mau-db-')), temporary: true };
}

/** Starts the folder's embedded database (made from the machine's template on first use) and holds its lock. */
export async function startEmbeddedDatabase(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EmbeddedDatabase> {
  const release = acquireLock(dataDir);
  let socket: { dir: string; temporary: boolean } | undefined;
  try {
    socket = socketDirFor(dataDir);
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, EMBEDDED_DATABASE_DIR),
      socketDir: socket.dir,
      templateCacheDir: serverCacheDir(env),
    });
    const socketDir = socket;
    let stopped: Promise<void> | undefined;
    return {
      databaseUrl: server.databaseUrl,
      stop() {
        stopped ??= server.stop().finally(() => {
          if (socketDir.temporary) fs.rmSync(socketDir.dir, { recursive: true, force: true });
          release();
        });
        return stopped;
      },
    };
  } catch (error) {
    if (socket?.temporary) fs.rmSync(socket.dir, { recursive: true, force: true });
    release();
    throw error;
  }
}
