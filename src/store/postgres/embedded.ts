import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { seedFromTemplate } from './embedded-template';

export interface EmbeddedPostgres {
  /**
   * `postgres://postgres@/postgres?host=<socketDir>` on a unix socket, else `postgres://postgres@127.0.0.1:<port>/postgres`.
   * No password: PGlite has no authentication, so the socket's 0700 folder is what keeps other users out.
   */
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where PGlite keeps its files; created 0700 when missing. */
  dataDir: string;
  /**
   * Serve on a unix socket in this folder (which must be private: 0700, ours) instead of a loopback port, so
   * that only this user can connect. Its path must fit a socket address (about 100 bytes).
   */
  socketDir?: string;
  /** 0 (default) picks a free port; ignored with `socketDir`. */
  port?: number;
  /** Connections the server accepts at once (one per process with the store's pool of one). */
  maxConnections?: number;
  /**
   * A fresh data folder is copied from an initialised template kept in this cache folder (made once per
   * machine), instead of PGlite's initdb in WASM each time: a fraction of a second instead of several.
   */
  templateCacheDir?: string;
}

const DEFAULT_MAX_CONNECTIONS = 16;
/** The file name PostgreSQL clients (the `pg` driver included) look for in a socket folder. */
export const SOCKET_FILE_NAME = '.s.PGSQL.5432';
/** Linux's sun_path holds 108 bytes with the final NUL; a longer path cannot be bound. */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * The embedded Postgres-compatible default: PGlite (Postgres compiled to WASM) in this process, served on a
 * unix socket (or a loopback port) so the `pg` driver talks to it exactly as to a real server. PGlite is one
 * backend: the socket server accepts several connections but runs their messages one at a time on that
 * backend, and holds other connections back only while one has a transaction open. The store therefore runs
 * every unit of work in a transaction and keeps one connection per process (see openDatabase).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  if (options.templateCacheDir !== undefined)
    await seedFromTemplate(options.dataDir, options.templateCacheDir);
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const socketPath =
    options.socketDir === undefined ? undefined : path.join(options.socketDir, SOCKET_FILE_NAME);
  // A socket left by a process that died cannot be bound over; the caller holds the folder's lock.
  if (socketPath !== undefined) await fs.rm(socketPath, { force: true });
  const db = await PGlite.create({ dataDir: options.dataDir });
  const server = new PGLiteSocketServer({
    db,
    ...(socketPath === undefined ? { host: '127.0.0.1', port: options.port ?? 0 } : { path: socketPath }),
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const databaseUrl =
    options.socketDir === undefined
      ? `postgres://postgres@127.0.0.1:${server.getServerConn().split(':').pop()}/postgres`
      : `postgres://postgres@/postgres?host=${encodeURIComponent(options.socketDir)}`;
  let stopped: Promise<void> | undefined;
  return {
    databaseUrl,
    stop() {
      stopped ??= server.stop().then(() => db.close());
      return stopped;
    },
  };
}
