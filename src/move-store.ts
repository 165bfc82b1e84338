/**
 * Moving a deployment off one machine's data folder into the shared store: the client API's `moveStore` and
 * the `move-store` command. It needs the two stores, not Temporal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { databaseUrlFrom, secretDirFor } from './app/config';
import { isProcessRunning } from './app/process-liveness';
import { dataDirOf, readStackFile, type ContextOptions } from './context';
import { InputError, PreconditionError } from './errors';
import { formatIssues } from './domain/lifecycle-request';
import { KEY_FILE_ENV, PAYLOAD_KEY_ENV, keyringFromEnv, loadKeyring, type Keyring } from './security/keyring';
import { hasEmbeddedDatabase } from './store/embedded-location';
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
  /** `postgres`: MARKETO_API_USERS_DATABASE_URL's server; `embedded`: the data folder's own database (`up`'s default). */
  target: 'postgres' | 'embedded';
}

interface Target {
  kind: MoveStoreOutcome['target'];
  settings: StoreSettings;
  /** Removes what a dry run made to count against. */
  dispose(): void;
}

/**
 * Where a move goes: the store the workers will start with, the configured PostgreSQL, else the folder's
 * embedded database. A dry run changes nothing: while `up` serves that database it reads through its socket,
 * and where none exists yet it counts against an empty one made aside, so no `database/` appears in the folder.
 */
function targetOf(settings: StoreSettings, dryRun: boolean): Target {
  const none = () => undefined;
  if (settings.databaseUrl !== undefined) return { kind: 'postgres', settings, dispose: none };
  const stack = readStackFile(settings.dataDir);
  if (stack?.store === 'embedded' && stack.databaseUrl !== undefined && isProcessRunning(stack.pid)) {
    return { kind: 'embedded', settings: { ...settings, databaseUrl: stack.databaseUrl }, dispose: none };
  }
  if (!dryRun || hasEmbeddedDatabase(settings.dataDir)) {
    return { kind: 'embedded', settings: { ...settings, embedded: true }, dispose: none };
  }
  const aside = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-move-dry-run-'));
  return {
    kind: 'embedded',
    settings: { ...settings, dataDir: aside, embedded: true },
    dispose: () => fs.rmSync(aside, { recursive: true, force: true }),
  };
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
 * MARKETO_API_USERS_DATABASE_URL names, else into the folder's embedded database, reads everything back, then deletes the secret files and keeps the
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
  if (!fs.existsSync(dataDir)) {
    throw new PreconditionError(
      `There is no data folder at ${dataDir}.`,
      'pass the folder `up` or the workers use, with --data-dir or MARKETO_API_USERS_DATA_DIR',
    );
  }
  if (!parsed.data.dryRun) refuseWhileUpRuns(dataDir);
  const keyring = await existingKeyring(dataDir, env);
  const target = targetOf(settings, parsed.data.dryRun);
  try {
    const store = await openStore(target.settings, keyring);
    try {
      const report = await moveFileStore(new FileStore(settings), store, {
        dryRun: parsed.data.dryRun,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      return { ...report, dataDir, target: target.kind };
    } finally {
      await store.close();
    }
  } finally {
    target.dispose();
  }
}
