/**
 * Moving a deployment off one machine's data folder into the shared store: the client API's `moveStore` and
 * the `move-store` command. It needs the two stores, not Temporal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { databaseUrlFrom, secretDirFor } from './app/config';
import { isProcessRunning } from './app/process-liveness';
import { dataDirOf, readStackFile, type ContextOptions } from './context';
import { InputError, PreconditionError } from './errors';
import { formatIssues } from './domain/lifecycle-request';
import { KEY_FILE_ENV, PAYLOAD_KEY_ENV, keyringFromEnv, loadKeyring, type Keyring } from './security/keyring';
import { FileStore } from './store/file-store';
import { moveFileStore, type MoveReport } from './store/move-file-store';
import { openStore, type StoreSettings } from './store/open';

export const moveStoreInputSchema = z.strictObject({
  /** Count what would move; change nothing. Allowed while `up` runs, to size the pause beforehand. */
  dryRun: z.boolean().default(false),
});
export type MoveStoreInput = z.input<typeof moveStoreInputSchema>;

export interface MoveStoreOptions extends ContextOptions {
  /** Told what is being done (counts, never a value). */
  onProgress?: (text: string) => void;
}

export interface MoveStoreOutcome extends MoveReport {
  dataDir: string;
  target: 'postgres';
}

/** Where a move goes: the store the workers will start with. The embedded default is one more line here. */
function targetOf(settings: StoreSettings): MoveStoreOutcome['target'] {
  if (settings.databaseUrl !== undefined) return 'postgres';
  throw new PreconditionError(
    'No store to move into: MARKETO_API_USERS_DATABASE_URL is not set.',
    'set MARKETO_API_USERS_DATABASE_URL to the PostgreSQL the workers will use (the same value they get), then run again',
  );
}

/** Its workers would go on writing files behind the move: a secret written then would stay behind, unmoved. */
function refuseWhileUpRuns(dataDir: string): void {
  const stack = readStackFile(dataDir);
  if (stack === undefined || !isProcessRunning(stack.pid)) return;
  throw new PreconditionError(
    `\`up\` (pid ${stack.pid}) runs on ${dataDir}: its workers would go on writing to the files being moved.`,
    'stop it first (Ctrl-C where it runs, or kill -INT <pid>), and any worker on this folder, then run again',
  );
}

/** The workers' keyring, never a new one: secrets moved under a key no worker has could not be read. */
async function existingKeyring(dataDir: string, env: NodeJS.ProcessEnv): Promise<Keyring> {
  const fromEnv = keyringFromEnv(env);
  if (fromEnv) return fromEnv;
  const keyFile = env[KEY_FILE_ENV]?.trim() || path.join(dataDir, 'keys.json');
  if (!fs.existsSync(keyFile)) {
    throw new PreconditionError(
      `No keyring to encrypt the secrets under: ${PAYLOAD_KEY_ENV} is not set and there is no key file at ${keyFile}.`,
      `run with the ${PAYLOAD_KEY_ENV} (or ${KEY_FILE_ENV}) the workers use; a new key would lock them out`,
    );
  }
  return loadKeyring({ env, defaultKeyFile: keyFile });
}

/**
 * Moves the data folder's secrets, first sightings and audit log into the store that
 * MARKETO_API_USERS_DATABASE_URL names, reads everything back, then deletes the secret files and keeps the
 * logs as `<name>.moved`. Safe to repeat: a run stopped half-way is finished by the next one.
 */
export async function moveStore(
  input: MoveStoreInput = {},
  options: MoveStoreOptions = {},
): Promise<MoveStoreOutcome> {
  const parsed = moveStoreInputSchema.safeParse(input);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error));
  const env = options.env ?? process.env;
  const dataDir = dataDirOf(options);
  const settings: StoreSettings = {
    dataDir,
    secretDir: secretDirFor(dataDir, env),
    databaseUrl: databaseUrlFrom(env),
    env,
  };
  const target = targetOf(settings);
  if (!fs.existsSync(dataDir)) {
    throw new PreconditionError(
      `There is no data folder at ${dataDir}.`,
      'pass the folder `up` or the workers use, with --data-dir or MARKETO_API_USERS_DATA_DIR',
    );
  }
  if (!parsed.data.dryRun) refuseWhileUpRuns(dataDir);
  const store = await openStore(settings, await existingKeyring(dataDir, env));
  try {
    const report = await moveFileStore(new FileStore(settings), store, {
      dryRun: parsed.data.dryRun,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { ...report, dataDir, target };
  } finally {
    await store.close();
  }
}
