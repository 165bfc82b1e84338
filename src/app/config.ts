/**
 * The product's own settings, read from the environment by one schema with one default each. Marketo's
 * connection (MARKETO_BASE_URL, MARKETO_BUDGET_*, ...) and the notifier's webhook keep their schemas in
 * src/marketo/config.ts and src/notifications/from-env.ts; this module reads them through those.
 *
 * Light on purpose (zod and path only): the client API and the CLI import the defaults from here.
 */
import path from 'node:path';
import { z } from 'zod';
import { instanceIdFromBaseUrl } from '../security/workflow-id';

export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_TASK_QUEUE = 'marketo-api-users';

/**
 * Lifecycles spend nearly all their life asleep on a timer; caching them buys little, while a wake-up replays a
 * history of about 40 events in milliseconds. The SDK's default sizes the cache from the heap (about 2,300
 * workflows on a 4 GiB heap), which would keep every sleeping lifecycle in memory. Memory grows with the cache,
 * not with the number of lifecycles: with zod, our schemas and the lifecycle's modules shared
 * (SHARED_WORKFLOW_MODULES) a cached lifecycle keeps about 70 KiB of heap, so this bound costs some 18 MiB and
 * still absorbs onboarding bursts
 * (bench/profiling/memory.ts).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

/** An empty variable counts as unset, as a shell's `VAR=` means "no value". */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value : undefined));

export const appEnvSchema = z
  .object({
    MARKETO_API_USERS_DATA_DIR: optionalText.transform((v) => v ?? DEFAULT_DATA_DIR),
    MARKETO_API_USERS_TASK_QUEUE: optionalText.transform((v) => v ?? DEFAULT_TASK_QUEUE),
    /**
     * The shared store (secrets, first sightings, audit log) in PostgreSQL, for workers on several machines;
     * unset, each machine keeps them in its data folder. The CLI, `up` and every worker must agree.
     */
    MARKETO_API_USERS_DATABASE_URL: optionalText,
    /** Where service secrets live; default `<data dir>/secrets`. The CLI, `up` and the worker must agree. */
    MARKETO_API_USERS_SECRET_DIR: optionalText,
    /** The Marketo instance lifecycles belong to; default derived from MARKETO_BASE_URL. */
    MARKETO_INSTANCE_ID: optionalText,
    /** `sandbox` when MARKETO_BASE_URL is a local sandbox in automatic mode; else roles and services are operator steps. */
    MARKETO_ADMIN_CONSOLE: z.enum(['sandbox', 'operator']).default('operator'),
    /** The sandbox's admin token (what `npm run sandbox` wrote to its token file); needed with MARKETO_ADMIN_CONSOLE=sandbox. */
    MARKETO_SANDBOX_ADMIN_TOKEN: optionalText,
    METRICS_BIND_ADDRESS: optionalText,
    MARKETO_API_USERS_MAX_CACHED_WORKFLOWS: z.coerce
      .number()
      .int()
      .min(0)
      .default(DEFAULT_MAX_CACHED_WORKFLOWS),
    /** A prebuilt workflow bundle (bundleLifecycleWorkflows' code): skips bundling when a worker starts. */
    MARKETO_API_USERS_WORKFLOW_BUNDLE: optionalText,
    /**
     * A module exporting `hooks: WorkerHooks` (src/app/worker.ts): how tests, bench and chaos adjust the one
     * worker entry (a recording notifier, a capturing secret store, worker tuning) without copying it.
     */
    MARKETO_API_USERS_WORKER_HOOKS: optionalText,
  })
  .refine((env) => env.MARKETO_ADMIN_CONSOLE !== 'sandbox' || env.MARKETO_SANDBOX_ADMIN_TOKEN !== undefined, {
    path: ['MARKETO_SANDBOX_ADMIN_TOKEN'],
    message:
      'MARKETO_ADMIN_CONSOLE=sandbox needs the sandbox admin token: set MARKETO_SANDBOX_ADMIN_TOKEN to the content of the token file the sandbox printed at start',
  });

export interface AppConfig {
  dataDir: string;
  taskQueue: string;
  secretDir: string;
  /** The shared PostgreSQL store's URL; undefined for the data folder's file store. */
  databaseUrl: string | undefined;
  /** Set only when given explicitly; see instanceIdFor. */
  instanceId: string | undefined;
  adminConsole: { mode: 'operator' } | { mode: 'sandbox'; token: string };
  metricsBindAddress: string | undefined;
  maxCachedWorkflows: number;
  workflowBundleFile: string | undefined;
  workerHooksModule: string | undefined;
  /** The environment the settings came from: Marketo's and the notifier's own schemas read it. */
  env: NodeJS.ProcessEnv;
}

/** Where service secrets live: MARKETO_API_USERS_SECRET_DIR, else `<data dir>/secrets`. */
export function secretDirFor(dataDir: string, env: NodeJS.ProcessEnv): string {
  return env.MARKETO_API_USERS_SECRET_DIR?.trim()
    ? env.MARKETO_API_USERS_SECRET_DIR
    : path.join(dataDir, 'secrets');
}

/** MARKETO_API_USERS_DATABASE_URL as every process reads it (an empty value is unset). */
export function databaseUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  return optionalText.parse(env.MARKETO_API_USERS_DATABASE_URL);
}

/** The instance lifecycles belong to: MARKETO_INSTANCE_ID, else the host of the Marketo base URL. */
export function instanceIdFor(explicit: string | undefined, baseUrl: string): string;
export function instanceIdFor(explicit: string | undefined, baseUrl: string | undefined): string | undefined;
export function instanceIdFor(explicit: string | undefined, baseUrl: string | undefined): string | undefined {
  if (explicit?.trim()) return explicit;
  return baseUrl ? instanceIdFromBaseUrl(baseUrl) : undefined;
}

export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = appEnvSchema.parse(env);
  const dataDir = parsed.MARKETO_API_USERS_DATA_DIR;
  const token = parsed.MARKETO_SANDBOX_ADMIN_TOKEN;
  return {
    dataDir,
    taskQueue: parsed.MARKETO_API_USERS_TASK_QUEUE,
    secretDir: secretDirFor(dataDir, env),
    databaseUrl: parsed.MARKETO_API_USERS_DATABASE_URL,
    instanceId: parsed.MARKETO_INSTANCE_ID,
    adminConsole:
      parsed.MARKETO_ADMIN_CONSOLE === 'sandbox' && token !== undefined
        ? { mode: 'sandbox', token }
        : { mode: 'operator' },
    metricsBindAddress: parsed.METRICS_BIND_ADDRESS,
    maxCachedWorkflows: parsed.MARKETO_API_USERS_MAX_CACHED_WORKFLOWS,
    workflowBundleFile: parsed.MARKETO_API_USERS_WORKFLOW_BUNDLE,
    workerHooksModule: parsed.MARKETO_API_USERS_WORKER_HOOKS,
    env,
  };
}
