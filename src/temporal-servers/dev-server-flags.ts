/**
 * The flags every dev server this project starts gets (`up`, `demo`, the bench, chaos and the tests), so that
 * what is measured and tested is what `up` runs.
 */
import { devServerSearchAttributeFlags } from '../domain/search-attributes';

/**
 * The frontend's persistence rate limits guard a database shared by a cluster; the dev server's own SQLite file
 * serves one user. At their defaults, `list` over 10,000 lifecycles had visibility calls refused ("Unable to
 * read search attributes types: System Persistence Max QPS Reached") and retried: 19 calls and 3.6 to 9.6 s
 * instead of 11 calls and about 1.3 s.
 */
const DEV_SERVER_DYNAMIC_CONFIG = {
  'frontend.persistenceMaxQPS': 100_000,
  'frontend.persistenceNamespaceMaxQPS': 100_000,
} as const;

/** `--dynamic-config-value key=value` for each setting above. */
export function devServerDynamicConfigFlags(): string[] {
  return Object.entries(DEV_SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${value}`,
  ]);
}

/** The search attributes and the settings above, for a dev server started from the command line. */
export function devServerFlags(): string[] {
  return [...devServerSearchAttributeFlags(), ...devServerDynamicConfigFlags()];
}
