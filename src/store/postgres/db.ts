import pg from 'pg';
import { StoreUnavailableError } from './errors';

/** A connection checked out for one unit of work. */
export type Tx = Pick<pg.PoolClient, 'query'>;

export interface Database {
  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Whether the server is PGlite (the embedded default). */
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl: string;
  /** Connections per process; forced to 1 against the embedded server (see {@link openDatabase}). */
  poolMax?: number;
}

const DEFAULT_POOL_MAX = 10;

class StaleConnection extends Error {
  constructor(override readonly cause: unknown) {
    super('stale connection');
  }
}

function describeTarget(databaseUrl: string): string {
  // A unix socket (the embedded database's) is named by its folder; WHATWG URLs refuse an empty host.
  const socketDir = /[?&]host=([^&]+)/.exec(databaseUrl)?.[1];
  if (socketDir !== undefined) return `the socket in ${decodeURIComponent(socketDir)}`;
  // The URL may carry a password: name host, port and database only.
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'the configured database';
  }
}

function unavailable(databaseUrl: string, error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `the store's database at ${describeTarget(databaseUrl)} did not answer (${(error as Error).message})`,
    'check MARKETO_API_USERS_DATABASE_URL and that the server runs; `up` starts the embedded one',
  );
}

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** The connection is gone (server down, restarting, unreachable) rather than the statement wrong. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception) and 57P01-57P03 (shutdown, crash, cannot connect now).
    if (code.startsWith('08') || /^57P0[123]$/.test(code) || CONNECTION_ERRNOS.has(code)) return true;
  }
  return /Connection terminated|Client has encountered a connection error|not queryable/i.test(error.message);
}

async function probe(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
    return rows[0]?.version.includes('PGlite') ?? false;
  } catch (error) {
    throw unavailable(databaseUrl, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * One pool per process. Every unit of work is a transaction, even a single statement, because the embedded
 * server (pglite-socket) is one Postgres backend shared by all its connections: its queue runs protocol
 * messages from different connections in turn, one message at a time, and keeps them apart only while a
 * transaction is open. Outside one, nothing stops a query's Parse/Bind/Execute from one connection being
 * interleaved with another's on the same backend (a query the driver sends in one packet was not seen split
 * in our tests, but the queue does not promise it). Inside one, the server runs only that connection's
 * messages until COMMIT. Against the
 * embedded server the pool also holds a single connection: a second connection of the same process would
 * only queue behind the first, and one connection per process keeps the server's connection slots for the
 * other processes (worker, CLI) that share it.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const embedded = await probe(options.databaseUrl);
  const max = embedded ? 1 : (options.poolMax ?? DEFAULT_POOL_MAX);
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max });
  // A connection the server drops (a restart) must not crash the process, idle or checked out: the pool
  // replaces it, and the unit of work it was serving fails with StoreUnavailableError.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const attempt = async <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let begun = false;
    let broken = false;
    try {
      await client.query('BEGIN');
      begun = true;
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
      // Nothing ran yet when BEGIN fails: a stale pooled connection (the server restarted) is worth one retry.
      throw begun || !broken ? error : new StaleConnection(error);
    } finally {
      client.release(broken);
    }
  };
  return {
    embedded,
    async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      try {
        return await attempt(work).catch((error: unknown) => {
          if (error instanceof StaleConnection) return attempt(work);
          throw error;
        });
      } catch (error) {
        const cause = error instanceof StaleConnection ? error.cause : error;
        throw isConnectionError(cause) ? unavailable(options.databaseUrl, cause) : cause;
      }
    },
    close: () => pool.end(),
  };
}
