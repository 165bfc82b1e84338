/**
 * The worker: wires real dependencies into activities and runs two Temporal workers in one process.
 *
 * - `<taskQueue>`: workflows and activities that make no Marketo User Management call.
 * - `<taskQueue>-marketo`: one User Management call per activity, with `maxTaskQueueActivitiesPerSecond` set
 *   to the call budget. That limit is enforced by the Temporal server for the task queue as a whole, so the
 *   budget holds across every worker process; the client's own CallBudget is the per-process guard beside it.
 *
 * Run: `npm run worker` (connection from @temporalio/envconfig; Marketo from MARKETO_BASE_URL and friends).
 */
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundle,
} from '@temporalio/worker';
import { z } from 'zod';
import { activityInterceptors, createActivities, type ActivityDeps } from './activities';
import { operatorOnlyConsole, sandboxAdminConsole } from './marketo/admin-console';
import { createMarketoClient } from './marketo/client';
import { hasMarketoEnv, loadMarketoConfig } from './marketo/config';
import { createNotifierFromEnv } from './notifications';
import { createDataConverter, failureConverterPath } from './security/data-converter';
import { loadKeyring } from './security/keyring';
import { FileSecretStore } from './security/secret-store';
import { createSweepDeps } from './sweep';
import {
  deriveWorkflowIdKey,
  instanceIdFromBaseUrl,
  lifecycleWorkflowId,
  workflowIdKeyFingerprint,
} from './security/workflow-id';
import { MARKETO_QUEUE_SUFFIX } from './workflows/lifecycle';

export const DEFAULT_TASK_QUEUE = 'marketo-api-users';

/**
 * Lifecycles spend nearly all their life asleep on a timer; caching them buys little, while a wake-up replays a
 * history of about 40 events in milliseconds. The SDK's default sizes the cache from the heap (about 2,300
 * workflows on a 4 GiB heap), which kept every sleeping lifecycle in memory. Memory grows with the cache, not with
 * the number of lifecycles: with zod and our schemas shared (SHARED_WORKFLOW_MODULES) a cached lifecycle keeps
 * about 80 KiB of heap (it was 3 MiB), so this bound costs some 20 MiB and still absorbs onboarding bursts
 * (bench/profiling/memory.ts).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

export interface MarketoQueueBudget {
  /** Calls per window, across every worker on the queue. */
  calls: number;
  windowMs: number;
  /** Concurrent calls in this worker process. */
  concurrency: number;
}

export interface LifecycleWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  dataConverter: DataConverter;
  /** Omit for no server-side limit (tests, benchmarks of orchestration). */
  marketoBudget?: MarketoQueueBudget;
  workflowBundle?: WorkflowBundle;
  maxCachedWorkflows?: number;
  /** Other workflow-side worker options (benchmarks and profiling compare them). */
  workflowTuning?: Pick<
    WorkerOptions,
    'reuseV8Context' | 'maxConcurrentWorkflowTaskExecutions' | 'stickyQueueScheduleToStartTimeout'
  >;
}

/**
 * Preloaded into the workflow sandbox: evaluated once per worker thread and shared by all workflows, instead of
 * once per workflow run. It holds zod and our schemas, which were about 3 MiB of heap per cached lifecycle and as
 * much garbage per cache miss; see src/workflows/shared-modules.ts for why sharing them is safe. Any bundle of our
 * workflows must pass it (a bundle without it still works, per run, as before).
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [require.resolve('./workflows/shared-modules')];

/** Bundles the workflows with the encoding failure converter, so failure messages are encrypted in history too. */
export async function bundleLifecycleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    failureConverterPath,
    preloadModules: [...SHARED_WORKFLOW_MODULES],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
}

export async function createLifecycleWorkers(options: LifecycleWorkerOptions): Promise<Worker[]> {
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const activities = createActivities(options.deps);
  const common = {
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    dataConverter: options.dataConverter,
    // Heartbeats (a dead worker noticed at heartbeatTimeout) and error classification, for every activity.
    interceptors: { activity: activityInterceptors },
  };
  const general = await Worker.create({
    ...common,
    taskQueue,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : {
          workflowsPath: require.resolve('./workflows'),
          bundlerOptions: { preloadModules: [...SHARED_WORKFLOW_MODULES] },
        }),
    activities: activities.support,
    maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    ...options.workflowTuning,
  });
  const budget = options.marketoBudget;
  const marketo = await Worker.create({
    ...common,
    taskQueue: `${taskQueue}${MARKETO_QUEUE_SUFFIX}`,
    activities: activities.marketo,
    ...(budget
      ? {
          maxTaskQueueActivitiesPerSecond: budget.calls / (budget.windowMs / 1000),
          maxConcurrentActivityTaskExecutions: budget.concurrency,
        }
      : {}),
  });
  return [general, marketo];
}

/** Runs workers until SIGINT or SIGTERM (the SDK's default shutdown signals), then drains them. */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}

const workerEnvSchema = z
  .object({
    MARKETO_API_USERS_DATA_DIR: z.string().default('.data'),
    MARKETO_API_USERS_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
    MARKETO_API_USERS_SECRET_DIR: z.string().optional(),
    /** `sandbox` when MARKETO_BASE_URL is a local sandbox in automatic mode; else roles and services are operator steps. */
    MARKETO_ADMIN_CONSOLE: z.enum(['sandbox', 'operator']).default('operator'),
    /** The sandbox's admin token (what `npm run sandbox` wrote to its token file); needed with MARKETO_ADMIN_CONSOLE=sandbox. */
    MARKETO_SANDBOX_ADMIN_TOKEN: z.string().min(1).optional(),
    METRICS_BIND_ADDRESS: z.string().optional(),
    MARKETO_API_USERS_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  })
  .refine((env) => env.MARKETO_ADMIN_CONSOLE !== 'sandbox' || env.MARKETO_SANDBOX_ADMIN_TOKEN !== undefined, {
    path: ['MARKETO_SANDBOX_ADMIN_TOKEN'],
    message:
      'MARKETO_ADMIN_CONSOLE=sandbox needs the sandbox admin token: set MARKETO_SANDBOX_ADMIN_TOKEN to the content of the token file the sandbox printed at start',
  });

/** The standalone worker: configuration from the environment, runs until SIGINT or SIGTERM. */
export async function runWorkerFromEnv(): Promise<void> {
  const env = workerEnvSchema.parse(process.env);
  if (env.METRICS_BIND_ADDRESS) {
    Runtime.install({
      telemetryOptions: { metrics: { prometheus: { bindAddress: env.METRICS_BIND_ADDRESS } } },
    });
  }
  if (!hasMarketoEnv()) {
    throw new Error(
      'No Marketo instance configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET, ' +
        'or run `marketo-api-users up` for the embedded sandbox.',
    );
  }
  const marketoConfig = loadMarketoConfig();
  const keyring = await loadKeyring({
    defaultKeyFile: path.join(env.MARKETO_API_USERS_DATA_DIR, 'keys.json'),
  });
  const connectConfig = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectConfig.connectionOptions);
  // The sweep reads lifecycles' expiries through a client of the same cluster, with the same keys.
  const clientConnection = await Connection.connect(connectConfig.connectionOptions);
  const namespace = connectConfig.namespace ?? 'default';
  const dataConverter = createDataConverter(keyring);
  const workflowClient = new WorkflowClient({ connection: clientConnection, namespace, dataConverter });
  const instanceId = process.env.MARKETO_INSTANCE_ID || instanceIdFromBaseUrl(marketoConfig.baseUrl);
  const idKey = deriveWorkflowIdKey(keyring);
  const budget = marketoConfig.budget === 'unlimited' ? undefined : marketoConfig.budget;
  const marketo = createMarketoClient({ ...marketoConfig, budget: marketoConfig.budget });
  const workers = await createLifecycleWorkers({
    connection,
    namespace,
    taskQueue: env.MARKETO_API_USERS_TASK_QUEUE,
    dataConverter,
    ...(env.MARKETO_API_USERS_MAX_CACHED_WORKFLOWS !== undefined
      ? { maxCachedWorkflows: env.MARKETO_API_USERS_MAX_CACHED_WORKFLOWS }
      : {}),
    deps: {
      marketo,
      adminConsole:
        env.MARKETO_ADMIN_CONSOLE === 'sandbox' && env.MARKETO_SANDBOX_ADMIN_TOKEN !== undefined
          ? sandboxAdminConsole(marketoConfig.baseUrl, env.MARKETO_SANDBOX_ADMIN_TOKEN)
          : operatorOnlyConsole,
      secrets: new FileSecretStore(
        env.MARKETO_API_USERS_SECRET_DIR ?? path.join(env.MARKETO_API_USERS_DATA_DIR, 'secrets'),
      ),
      notifier: createNotifierFromEnv(),
      workflowIdKeyFingerprint: workflowIdKeyFingerprint(idKey),
      sweep: createSweepDeps(workflowClient, env.MARKETO_API_USERS_DATA_DIR, {
        taskQueue: env.MARKETO_API_USERS_TASK_QUEUE,
        workflowIdFor: (email) => lifecycleWorkflowId(instanceId, email, idKey),
      }),
    },
    ...(budget
      ? {
          marketoBudget: {
            calls: budget.calls,
            windowMs: budget.windowMs,
            concurrency: budget.maxConcurrent,
          },
        }
      : {}),
  });
  console.log(
    `worker polling ${env.MARKETO_API_USERS_TASK_QUEUE} and ${env.MARKETO_API_USERS_TASK_QUEUE}${MARKETO_QUEUE_SUFFIX}`,
  );
  try {
    await runWorkers(workers);
  } finally {
    await connection.close();
    await clientConnection.close();
  }
}

if (require.main === module) {
  runWorkerFromEnv().catch((error: unknown) => {
    console.error(`worker failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
