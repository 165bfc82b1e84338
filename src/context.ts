/**
 * Where everything is, for the CLI, the client API and the embedded stack alike: the data folder, the keys,
 * the Marketo instance a lifecycle belongs to, the task queue, and the Temporal connection.
 *
 * `up` writes `<data dir>/stack.json` with the addresses it chose, so that later commands in the same folder
 * find them with nothing configured; environment variables always win over it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { ProblemError } from './errors';
import { loadKeyring, type Keyring } from './security/keyring';
import { deriveWorkflowIdKey, lifecycleWorkflowId, workflowIdKeyFingerprint } from './security/workflow-id';
import {
  databaseUrlFrom,
  DEFAULT_DATA_DIR,
  DEFAULT_TASK_QUEUE,
  instanceIdFor,
  secretDirFor,
} from './app/config';
import { isProcessRunning } from './app/process-liveness';
import { hasEmbeddedDatabase } from './store/embedded-location';
import type { StoreSettings } from './store/open';

export { DEFAULT_DATA_DIR, DEFAULT_TASK_QUEUE, secretDirFor };
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
/** The embedded sandbox's instance id does not depend on its port, so a restart on another port finds its lifecycles. */
export const EMBEDDED_INSTANCE_ID = 'embedded-sandbox';

export const stackFileSchema = z.object({
  temporalAddress: z.string(),
  namespace: z.string().default('default'),
  uiUrl: z.string().optional(),
  sandboxUrl: z.string().optional(),
  marketoBaseUrl: z.string(),
  instanceId: z.string(),
  taskQueue: z.string(),
  pid: z.number(),
  startedAt: z.string(),
  /** Where that `up` keeps secrets and the audit log: this process must use the same store. */
  store: z.enum(['file', 'postgres', 'embedded']).default('file'),
  /** With `embedded`: its database's unix socket (a 0700 folder), as a URL without a password. */
  databaseUrl: z.string().startsWith('postgres://').optional(),
});
export type StackFile = z.infer<typeof stackFileSchema>;

export function stackFilePath(dataDir: string): string {
  return path.join(dataDir, 'stack.json');
}

export function readStackFile(dataDir: string): StackFile | undefined {
  try {
    return stackFileSchema.parse(JSON.parse(fs.readFileSync(stackFilePath(dataDir), 'utf8')));
  } catch {
    return undefined;
  }
}

export function writeStackFile(dataDir: string, stack: StackFile): void {
  const file = stackFilePath(dataDir);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(stack, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

export interface ContextOptions {
  /** Default: MARKETO_API_USERS_DATA_DIR, else `.data`. */
  dataDir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface ProductContext {
  dataDir: string;
  taskQueue: string;
  /** The Marketo instance lifecycles belong to; part of every workflow id. */
  instanceId: string;
  keyring: Keyring;
  /** Where openStore finds the store this folder and environment use (the workers' must be the same). */
  storeSettings: StoreSettings;
  /** The Marketo instance's base URL when known (MARKETO_BASE_URL, else the `up` of this folder). */
  marketoBaseUrl: string | undefined;
  /** Stable and email-free: a keyed hash of the instance and the email. */
  workflowIdFor(email: string): string;
  /** Names the key behind workflowIdFor; sent with each lifecycle so a worker with another key refuses it. */
  workflowIdKeyFingerprint: string;
  temporal: {
    address: string;
    namespace: string;
    connectionOptions: ReturnType<typeof loadClientConnectConfig>['connectionOptions'];
  };
  stack: StackFile | undefined;
}

/** Where things are cannot be worked out; the message says what to start or set, `hint` that part alone. */
export class ContextError extends ProblemError {
  override readonly name = 'ContextError';
}

/**
 * A CLI on another store than the `up` of its folder would read no secrets and write the audit log where nobody
 * looks: refuse, naming the setting.
 */
function refuseStoreMismatch(stack: StackFile | undefined, databaseUrl: string | undefined): void {
  if (!stack) return;
  if (stack.store === 'postgres' && databaseUrl === undefined) {
    throw new ContextError(
      'The `up` of this folder keeps secrets and the audit log in PostgreSQL, and MARKETO_API_USERS_DATABASE_URL is not set here.',
      'Set MARKETO_API_USERS_DATABASE_URL to the URL that `up` was started with.',
    );
  }
  if (stack.store !== 'postgres' && databaseUrl !== undefined) {
    throw new ContextError(
      `MARKETO_API_USERS_DATABASE_URL is set, but the \`up\` of this folder keeps secrets and the audit log in ${stack.store === 'embedded' ? 'its embedded database' : 'its data folder'}.`,
      'Unset MARKETO_API_USERS_DATABASE_URL for this folder, or restart `up` with it set.',
    );
  }
}

/**
 * The store this process opens: the configured server; the embedded database through the socket of the `up`
 * that serves it; the folder's embedded database opened here when no `up` runs; else the file store.
 */
function storeSettingsFor(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  stack: StackFile | undefined,
): StoreSettings {
  const base = { dataDir, secretDir: secretDirFor(dataDir, env), env };
  const configured = databaseUrlFrom(env);
  refuseStoreMismatch(stack, configured);
  if (configured !== undefined) return { ...base, databaseUrl: configured };
  if (stack?.store === 'embedded' && stack.databaseUrl !== undefined && isProcessRunning(stack.pid)) {
    return { ...base, databaseUrl: stack.databaseUrl };
  }
  return { ...base, databaseUrl: undefined, embedded: hasEmbeddedDatabase(dataDir) };
}

/** The data folder: the one given, else MARKETO_API_USERS_DATA_DIR, else `.data`; absolute. */
export function dataDirOf(options: ContextOptions): string {
  const env = options.env ?? process.env;
  return path.resolve(options.dataDir ?? env.MARKETO_API_USERS_DATA_DIR ?? DEFAULT_DATA_DIR);
}

/** What a store-only command (`audit`, `reencrypt-secrets`) needs: no Marketo instance, no Temporal. */
export interface StoreContext {
  dataDir: string;
  keyring: Keyring;
  storeSettings: StoreSettings;
}

async function storeContextOf(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  stack: StackFile | undefined,
): Promise<StoreContext> {
  const storeSettings = storeSettingsFor(dataDir, env, stack);
  const keyring = await loadKeyring({ env, defaultKeyFile: path.join(dataDir, 'keys.json') });
  return { dataDir, keyring, storeSettings };
}

export async function loadStoreContext(options: ContextOptions = {}): Promise<StoreContext> {
  const dataDir = dataDirOf(options);
  return storeContextOf(dataDir, options.env ?? process.env, readStackFile(dataDir));
}

export async function loadContext(options: ContextOptions = {}): Promise<ProductContext> {
  const env = options.env ?? process.env;
  const dataDir = dataDirOf(options);
  const stack = readStackFile(dataDir);
  const instanceId = instanceIdFor(env.MARKETO_INSTANCE_ID, env.MARKETO_BASE_URL) ?? stack?.instanceId;
  if (!instanceId) {
    throw new ContextError(
      `No Marketo instance known: no running \`up\` wrote ${stackFilePath(dataDir)}, and MARKETO_BASE_URL is not set.`,
      'Start `marketo-api-users up` (and pass --data-dir if it uses another folder), or set MARKETO_BASE_URL for a real instance.',
    );
  }
  const { storeSettings, keyring } = await storeContextOf(dataDir, env, stack);
  const idKey = deriveWorkflowIdKey(keyring, env);
  const definedEnv = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const connect = loadClientConnectConfig({ overrideEnvVars: definedEnv });
  // An explicit Temporal configuration wins; with none, the `up` in this data folder; with neither, the default.
  const explicit = Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_CONFIG_FILE || env.TEMPORAL_PROFILE);
  const address =
    (explicit ? connect.connectionOptions.address : undefined) ??
    stack?.temporalAddress ??
    connect.connectionOptions.address ??
    DEFAULT_TEMPORAL_ADDRESS;
  return {
    dataDir,
    taskQueue: env.MARKETO_API_USERS_TASK_QUEUE ?? stack?.taskQueue ?? DEFAULT_TASK_QUEUE,
    instanceId,
    keyring,
    storeSettings,
    marketoBaseUrl: env.MARKETO_BASE_URL?.trim() ? env.MARKETO_BASE_URL : stack?.marketoBaseUrl,
    workflowIdFor: (email) => lifecycleWorkflowId(instanceId, email, idKey),
    workflowIdKeyFingerprint: workflowIdKeyFingerprint(idKey),
    temporal: {
      address,
      namespace: connect.namespace ?? stack?.namespace ?? 'default',
      connectionOptions: { ...connect.connectionOptions, address },
    },
    stack,
  };
}
