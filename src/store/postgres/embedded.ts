import fs from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: loopback only, no password (PGlite has no auth). */
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where PGlite keeps its files; created 0700 when missing. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Connections the server accepts at once (one per process with the store's pool of one). */
  maxConnections?: number;
}

const DEFAULT_MAX_CONNECTIONS = 16;

/**
 * The embedded Postgres-compatible default: PGlite (Postgres compiled to WASM) in this process, served on a
 * loopback port so the `pg` driver talks to it exactly as to a real server. PGlite is one backend: the socket
 * server accepts several connections but runs their messages one at a time on that backend, and holds
 * other connections back only while one has a transaction open. The store therefore runs every unit of
 * work in a transaction and keeps one connection per process (see openDatabase).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const db = await PGlite.create({ dataDir: options.dataDir });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const port = server.getServerConn().split(':').pop();
  let stopped: Promise<void> | undefined;
  return {
    databaseUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      stopped ??= server.stop().then(() => db.close());
      return stopped;
    },
  };
}
