/**
 * The one place that decides which store a process uses. Today the file store in the data folder; a database
 * URL in the settings will select the shared PostgreSQL store here, so callers never choose for themselves.
 */
import type { AppConfig } from '../app/config';
import { FileStore } from './file-store';
import type { Store } from './types';

/** What a store needs from the product's settings (AppConfig satisfies it). */
export type StoreSettings = Pick<AppConfig, 'dataDir' | 'secretDir' | 'env'>;

export function openStore(settings: StoreSettings): Promise<Store> {
  return Promise.resolve(new FileStore(settings));
}
