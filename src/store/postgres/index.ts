import type { Keyring } from '../../security/keyring';
import type { Store } from '../types';
import { PostgresAuditLog } from './audit';
import { openDatabase } from './db';
import { PostgresFirstSeenStore } from './first-seen';
import { migrate } from './migrations';
import { PostgresSecretStore, type ReencryptOptions, type ReencryptReport } from './secrets';

export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded';
export {
  SecretIntegrityError,
  SecretKeyMissingError,
  StoreCorruptError,
  StoreUnavailableError,
} from './errors';
export { MIGRATIONS } from './migrations';
export type { ReencryptOptions, ReencryptReport } from './secrets';

export interface OpenPostgresStoreOptions {
  databaseUrl: string;
  keyring: Keyring;
  /** Connections in this process's pool (default 10); always 1 against the embedded server. */
  poolMax?: number;
}

export interface PostgresStore extends Store {
  /** After a key rotation: re-encrypts the secrets not under the keyring's current key (see PostgresSecretStore). */
  reencryptSecrets(options?: ReencryptOptions): Promise<ReencryptReport>;
}

/** Connects, brings the schema up to date (safe with several processes starting at once) and returns the store. */
export async function openPostgresStore(options: OpenPostgresStoreOptions): Promise<PostgresStore> {
  const db = await openDatabase({
    databaseUrl: options.databaseUrl,
    ...(options.poolMax === undefined ? {} : { poolMax: options.poolMax }),
  });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const secrets = new PostgresSecretStore(db, options.keyring);
  return {
    secrets,
    firstSeen: new PostgresFirstSeenStore(db),
    audit: new PostgresAuditLog(db),
    reencryptSecrets: (reencryptOptions) => secrets.reencrypt(reencryptOptions),
    close: () => db.close(),
  };
}
