/**
 * Which store `up` runs on, and the embedded database it serves: the shared server when
 * MARKETO_API_USERS_DATABASE_URL is set; else the data folder's embedded database (the default), served on a
 * unix socket for the folder's other commands; or, with `--store file`, the data folder's files. A folder whose
 * store lives in one place is never started on the other: it would start with no secrets and no audit log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PreconditionError } from '../errors';
import { startEmbeddedDatabase } from '../store/embedded-database';
import { hasEmbeddedDatabase } from '../store/embedded-location';
import { AUDIT_FILE_NAME, FIRST_SEEN_FILE_NAME } from '../store/file-store';
import { databaseUrlFrom, secretDirFor } from './config';

export type StackStoreKind = 'embedded' | 'file' | 'postgres';
export const STORE_CHOICES = ['embedded', 'file'] as const;
export type StoreChoice = (typeof STORE_CHOICES)[number];

export interface StackStore {
  kind: StackStoreKind;
  /** The URL the workers open: the configured server's, or the embedded database's socket. */
  databaseUrl: string | undefined;
  stop(): Promise<void>;
}

/** `up` cannot use the store asked for (exit 2, nothing started); `hint` says how to go on. */
export class StoreChoiceError extends PreconditionError {}

/** The file store has something in this folder: an audit log, first sightings or a stored secret. */
export function hasFileStoreData(dataDir: string, env: NodeJS.ProcessEnv): boolean {
  if ([AUDIT_FILE_NAME, FIRST_SEEN_FILE_NAME].some((name) => fs.existsSync(path.join(dataDir, name))))
    return true;
  try {
    return fs.readdirSync(secretDirFor(dataDir, env)).length > 0;
  } catch {
    return false;
  }
}

function refuseOtherStore(dataDir: string, choice: StoreChoice, env: NodeJS.ProcessEnv): void {
  if (choice === 'file' && hasEmbeddedDatabase(dataDir)) {
    throw new StoreChoiceError(
      `${dataDir} keeps its secrets and audit log in its embedded database; \`up --store file\` would start with none.`,
      'Start `up` without --store.',
    );
  }
  if (choice === 'embedded' && !hasEmbeddedDatabase(dataDir) && hasFileStoreData(dataDir, env)) {
    throw new StoreChoiceError(
      `${dataDir} keeps its secrets and audit log in files (the file store of an earlier \`up --store file\`), and \`up\` now defaults to the embedded database, which would start with none.`,
      `Keep the files with \`up --store file\`, or move them into the embedded database first: \`marketo-api-users move-store --data-dir ${dataDir}\`.`,
    );
  }
}

/**
 * Which store `up` will run on, checked before anything starts: refuses a folder whose store is elsewhere and a
 * --store beside a database URL.
 */
export function chooseStackStore(
  dataDir: string,
  choice: StoreChoice | undefined,
  env: NodeJS.ProcessEnv,
): StackStoreKind {
  if (databaseUrlFrom(env) !== undefined) {
    if (choice === undefined) return 'postgres';
    throw new StoreChoiceError(
      `--store ${choice} was given, but MARKETO_API_USERS_DATABASE_URL names the store to use.`,
      'Leave out --store, or unset MARKETO_API_USERS_DATABASE_URL.',
    );
  }
  const chosen = choice ?? 'embedded';
  refuseOtherStore(dataDir, chosen, env);
  return chosen;
}

/** Opens the store chosen: for the embedded one, starts the folder's database (taking its lock). */
export async function startStackStore(
  kind: StackStoreKind,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<StackStore> {
  const none = () => Promise.resolve();
  if (kind === 'postgres') return { kind, databaseUrl: databaseUrlFrom(env), stop: none };
  if (kind === 'file') return { kind, databaseUrl: undefined, stop: none };
  const database = await startEmbeddedDatabase(dataDir, env);
  return { kind, databaseUrl: database.databaseUrl, stop: () => database.stop() };
}
