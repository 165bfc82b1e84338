import { z } from 'zod';
import { InputError } from '../../errors';
import { Keyring } from '../../security/keyring';
import type { Store } from '../types';
import { PostgresAuditLog } from './audit';
import { openDatabase } from './db';
import { PostgresFirstSeenStore } from './first-seen';
import { migrate } from './migrations';
import { PostgresUsageLedger } from './usage';
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

const optionsSchema = z.object({
  databaseUrl: z
    .string()
    .refine((url) => /^postgres(ql)?:\/\/./.test(url), 'must be a postgres:// or postgresql:// URL'),
  keyring: z.instanceof(Keyring, { message: 'must be a Keyring' }),
  poolMax: z.number().int().min(1).max(100).optional(),
});

// Names the field and the problem, never the value: the URL may hold a password.
function checkOptions(options: OpenPostgresStoreOptions): OpenPostgresStoreOptions {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  throw new InputError(parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`));
}

/** Connects, brings the schema up to date (safe with several processes starting at once) and returns the store. */
export async function openPostgresStore(input: OpenPostgresStoreOptions): Promise<PostgresStore> {
  const options = checkOptions(input);
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
    usage: new PostgresUsageLedger(db),
    reencryptSecrets: (reencryptOptions) => secrets.reencrypt(reencryptOptions),
    close: () => db.close(),
  };
}
