/**
 * The one place that decides which store a process uses: the shared PostgreSQL store when a database URL is
 * set (MARKETO_API_USERS_DATABASE_URL), else the file store of the data folder. Callers never choose.
 */
import type { AppConfig } from '../app/config';
import type { Keyring } from '../security/keyring';
import { FileStore } from './file-store';
import type * as Postgres from './postgres';
import type { Store } from './types';

/** What a store needs from the product's settings (AppConfig satisfies it). */
export type StoreSettings = Pick<AppConfig, 'dataDir' | 'secretDir' | 'databaseUrl' | 'env'>;

export async function openStore(settings: StoreSettings, keyring: Keyring): Promise<Store> {
  if (settings.databaseUrl === undefined) return new FileStore(settings);
  // Loaded only here, so a process on the file store never loads the driver. `require`, not `import()`: see
  // src/cli/client-api.ts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  const { openPostgresStore } = require('./postgres') as typeof Postgres;
  return openPostgresStore({ databaseUrl: settings.databaseUrl, keyring });
}
