/**
 * The one place that decides which store a process uses: PostgreSQL when a database URL is set (the shared
 * server of MARKETO_API_USERS_DATABASE_URL, or the embedded database an `up` serves on its socket), the data
 * folder's embedded database opened by this process when `embedded` says so (no `up` serves it), else the file
 * store of the data folder. Callers never choose.
 */
import type { AppConfig } from '../app/config';
import type { Keyring } from '../security/keyring';
import type * as EmbeddedDatabaseModule from './embedded-database';
import { FileStore } from './file-store';
import type * as Postgres from './postgres';
import type { Store } from './types';

/** What a store needs from the product's settings (AppConfig satisfies it). */
export type StoreSettings = Pick<AppConfig, 'dataDir' | 'secretDir' | 'databaseUrl' | 'env'> & {
  /** Open the data folder's embedded database in this process (it takes the folder's lock until close). */
  embedded?: boolean;
};

export async function openStore(settings: StoreSettings, keyring: Keyring): Promise<Store> {
  // Loaded only here, so a process on the file store never loads the driver or PGlite. `require`, not
  // `import()`: see src/cli/client-api.ts.
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy on purpose, see above */
  if (settings.databaseUrl !== undefined) {
    const { openPostgresStore } = require('./postgres') as typeof Postgres;
    return openPostgresStore({ databaseUrl: settings.databaseUrl, keyring });
  }
  if (settings.embedded !== true) return new FileStore(settings);
  const { startEmbeddedDatabase } = require('./embedded-database') as typeof EmbeddedDatabaseModule;
  const { openPostgresStore } = require('./postgres') as typeof Postgres;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const database = await startEmbeddedDatabase(settings.dataDir, settings.env);
  try {
    const store = await openPostgresStore({ databaseUrl: database.databaseUrl, keyring });
    return { ...store, close: () => store.close().finally(() => database.stop()) };
  } catch (error) {
    await database.stop();
    throw error;
  }
}
