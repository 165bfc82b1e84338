/**
 * The only worker entry: wires dependencies (buildActivityDeps) into activities and runs two Temporal workers.
 *
 * - `<taskQueue>`: workflows and activities that make no Marketo User Management call.
 * - `<taskQueue>-marketo`: one User Management call per activity, with `maxTaskQueueActivitiesPerSecond` set
 *   to the call budget. That limit is enforced by the Temporal server for the task queue as a whole, so the
 *   budget holds across every worker process; the client's own CallBudget is the per-process guard beside it.
 *
 * As a process (`marketo-api-users worker`, `npm run worker`, or `node --import tsx src/app/worker.ts` from
 * tests, bench and chaos) it reads src/app/config.ts' settings, the Temporal connection (@temporalio/envconfig)
 * and Marketo's (MARKETO_BASE_URL and friends) from the environment. MARKETO_API_USERS_WORKER_HOOKS names a
 * module whose `hooks` (WorkerHooks) adjust it, so no caller keeps a copy of this wiring.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  type WorkflowBundle,
} from '@temporalio/worker';
import { activityInterceptors, createActivities, type ActivityDeps } from '../activities';
import { hasMarketoEnv, loadMarketoConfig, type MarketoConfig } from '../marketo/config';
import { createDataConverter, failureConverterPath } from '../security/data-converter';
import { loadKeyring } from '../security/keyring';
import { MARKETO_QUEUE_SUFFIX } from '../workflows/lifecycle';
import {
  DEFAULT_MAX_CACHED_WORKFLOWS,
  DEFAULT_TASK_QUEUE,
  instanceIdFor,
  loadAppConfig,
  type AppConfig,
} from './config';
import { openStore } from '../store/open';
import { reencryptInBackground } from '../store/reencrypt';
import { buildActivityDeps } from './deps';
import { startLifecycleGauges } from './lifecycle-gauges';
import { createProductMetrics } from './product-metrics';

export interface MarketoQueueBudget {
  /** Calls per window, across every worker on the queue. */
  calls: number;
  windowMs: number;
  /** Concurrent calls in this worker process. */
  concurrency: number;
}

/** The Marketo queue's server-side limit for a configured budget; none when the budget is unlimited. */
export function marketoQueueBudget(config: Pick<MarketoConfig, 'budget'>): MarketoQueueBudget | undefined {
  const budget = config.budget;
  if (budget === 'unlimited') return undefined;
  return { calls: budget.calls, windowMs: budget.windowMs, concurrency: budget.maxConcurrent };
}

export interface LifecycleWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  deps: ActivityDeps;
  dataConverter: DataConverter;
  /** Omit for no server-side limit (tests, benchmarks of orchestration). */
  marketoBudget?: MarketoQueueBudget;
  /** Concurrent Marketo activities without a server-side rate (a sweep test's parallelism); the budget wins. */
  marketoConcurrency?: number;
  workflowBundle?: WorkflowBundle;
  maxCachedWorkflows?: number;
  /**
   * Workflows in a worker of their own beside the support activities' worker, so one can be stopped while the
   * other runs (a crash test stops taking activities and keeps deciding).
   */
  separateWorkflowWorker?: boolean;
  /** Other workflow-side worker options (benchmarks and profiling compare them). */
  workflowTuning?: Pick<
    WorkerOptions,
    'reuseV8Context' | 'maxConcurrentWorkflowTaskExecutions' | 'stickyQueueScheduleToStartTimeout'
  >;
}

/**
 * Preloaded into the workflow sandbox: evaluated once per worker thread and shared by all workflows, instead of
 * once per workflow run. It holds zod, our schemas and the lifecycle's modules, about 3 MiB of heap per cached
 * lifecycle and as much garbage per cache miss otherwise; see src/workflows/shared-modules.ts for why sharing them
 * is safe. The failure converter (one stateless instance) would otherwise be evaluated per run too. Any bundle of
 * our workflows must pass them (a bundle without them still works, per run).
 */
export const SHARED_WORKFLOW_MODULES: readonly string[] = [
  require.resolve('../workflows/shared-modules'),
  failureConverterPath,
];

/**
 * Bundles the workflows with the encoding failure converter, so failure messages are encrypted in history too.
 * `workflowInterceptorModules` is for tests that observe the product's own bundle from inside a workflow.
 */
export async function bundleLifecycleWorkflows(
  overrides: { workflowInterceptorModules?: string[] } = {},
): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath,
    preloadModules: [...SHARED_WORKFLOW_MODULES],
    ...overrides,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
}

/** The workers' options, one place for what every worker of the product shares (e.g. interceptors). */
export function workerOptions(options: LifecycleWorkerOptions): {
  workflows: WorkerOptions;
  support: WorkerOptions;
  marketo: WorkerOptions;
} {
  const taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
  const activities = createActivities(options.deps);
  const common = {
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    dataConverter: options.dataConverter,
    taskQueue,
  };
  // One interceptor heartbeats every activity (so a heartbeatTimeout notices a dead worker long before its
  // startToCloseTimeout) and classifies its errors for Temporal's retries.
  const activityWorker = { ...common, interceptors: { activity: activityInterceptors } };
  const workflows: WorkerOptions = {
    ...common,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : {
          workflowsPath: require.resolve('../workflows'),
          bundlerOptions: { preloadModules: [...SHARED_WORKFLOW_MODULES] },
        }),
    maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    ...options.workflowTuning,
  };
  const support: WorkerOptions = { ...activityWorker, activities: activities.support };
  const budget = options.marketoBudget;
  const marketo: WorkerOptions = {
    ...activityWorker,
    taskQueue: `${taskQueue}${MARKETO_QUEUE_SUFFIX}`,
    activities: activities.marketo,
    ...(budget
      ? {
          maxTaskQueueActivitiesPerSecond: budget.calls / (budget.windowMs / 1000),
          maxConcurrentActivityTaskExecutions: budget.concurrency,
        }
      : options.marketoConcurrency !== undefined
        ? { maxConcurrentActivityTaskExecutions: options.marketoConcurrency }
        : {}),
  };
  return { workflows, support, marketo };
}

export interface LifecycleWorkers {
  /** Every worker, to run and to shut down together. */
  all: Worker[];
  /** Runs the support activities (and the workflows, unless separateWorkflowWorker). */
  support: Worker;
  marketo: Worker;
}

export async function createWorkers(options: LifecycleWorkerOptions): Promise<LifecycleWorkers> {
  const built = workerOptions(options);
  const marketo = await Worker.create(built.marketo);
  if (!options.separateWorkflowWorker) {
    const general = await Worker.create({
      ...built.workflows,
      activities: built.support.activities,
      interceptors: built.support.interceptors,
    });
    return { all: [general, marketo], support: general, marketo };
  }
  const workflows = await Worker.create(built.workflows);
  const support = await Worker.create(built.support);
  return { all: [workflows, support, marketo], support, marketo };
}

/** Runs workers until SIGINT or SIGTERM (the SDK's default shutdown signals), then drains them. */
export async function runWorkers(workers: LifecycleWorkers): Promise<void> {
  await Promise.all(workers.all.map((w) => w.run()));
}

/** How tests, bench and chaos adjust the one entry (MARKETO_API_USERS_WORKER_HOOKS names a module exporting `hooks`). */
export interface WorkerHooks {
  /** Before anything connects: e.g. a Runtime with the caller's log levels. */
  setUp?(): void;
  /** Replaces or wraps dependencies the entry built (a recording notifier, a capturing secret store). */
  deps?(deps: ActivityDeps): ActivityDeps;
  /** Adjusts the workers' options (tuning, a separate workflow worker). */
  workers?(options: LifecycleWorkerOptions): LifecycleWorkerOptions;
  /** Once every worker polls: a `ready` line, a stats protocol on stdin. */
  started?(workers: LifecycleWorkers): void;
  /** After the workers drained and the connections closed. */
  stopped?(): void;
}

async function loadHooks(module: string | undefined): Promise<WorkerHooks> {
  if (!module) return {};
  const loaded = (await import(path.resolve(module))) as { hooks?: WorkerHooks };
  if (typeof loaded.hooks !== 'object' || loaded.hooks === null) {
    throw new Error(`MARKETO_API_USERS_WORKER_HOOKS: ${module} exports no \`hooks\` object`);
  }
  return loaded.hooks;
}

function definedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The workers' connection, and a client's: the sweep reads lifecycles' expiries through the same cluster. */
async function connectTemporal(env: NodeJS.ProcessEnv) {
  const connectConfig = loadClientConnectConfig({ overrideEnvVars: definedEnv(env) });
  const connection = await NativeConnection.connect(connectConfig.connectionOptions);
  const clientConnection = await Connection.connect(connectConfig.connectionOptions);
  return { connection, clientConnection, namespace: connectConfig.namespace ?? 'default' };
}

/** The standalone worker: configuration from the environment, runs until SIGINT or SIGTERM. */
export async function runWorker(config: AppConfig = loadAppConfig(), hooks: WorkerHooks = {}): Promise<void> {
  hooks.setUp?.();
  if (config.metricsBindAddress) {
    Runtime.install({
      telemetryOptions: { metrics: { prometheus: { bindAddress: config.metricsBindAddress } } },
    });
  }
  if (!hasMarketoEnv(config.env)) {
    throw new Error(
      'No Marketo instance configured: set MARKETO_BASE_URL, MARKETO_CLIENT_ID and MARKETO_CLIENT_SECRET, ' +
        'or run `marketo-api-users up` for the embedded sandbox.',
    );
  }
  const marketoConfig = loadMarketoConfig(config.env);
  const keyring = await loadKeyring({
    env: config.env,
    defaultKeyFile: path.join(config.dataDir, 'keys.json'),
  });
  const { connection, clientConnection, namespace } = await connectTemporal(config.env);
  const dataConverter = createDataConverter(keyring);
  const workflowClient = new WorkflowClient({ connection: clientConnection, namespace, dataConverter });
  const store = await openStore(config, keyring);
  const reencrypting = reencryptInBackground(store, { info: console.log, warn: console.warn });
  const budget = marketoQueueBudget(marketoConfig);
  const deps = buildActivityDeps({
    config,
    marketo: marketoConfig,
    keyring,
    instanceId: instanceIdFor(config.instanceId, marketoConfig.baseUrl),
    workflowClient,
    store,
    metrics: createProductMetrics(Runtime.instance().metricMeter, { budget }),
  });
  const options: LifecycleWorkerOptions = {
    connection,
    namespace,
    taskQueue: config.taskQueue,
    dataConverter,
    deps: hooks.deps ? hooks.deps(deps) : deps,
    maxCachedWorkflows: config.maxCachedWorkflows,
    ...(config.workflowBundleFile
      ? { workflowBundle: { code: fs.readFileSync(config.workflowBundleFile, 'utf8') } }
      : {}),
    ...(budget ? { marketoBudget: budget } : {}),
  };
  const workers = await createWorkers(hooks.workers ? hooks.workers(options) : options);
  const gauges = config.metricsBindAddress
    ? startLifecycleGauges(workflowClient, Runtime.instance().metricMeter, {
        onError: (error) => console.warn(`lifecycle gauges not refreshed: ${(error as Error).message}`),
      })
    : undefined;
  try {
    const running = runWorkers(workers);
    hooks.started?.(workers);
    console.log(`worker polling ${config.taskQueue} and ${config.taskQueue}${MARKETO_QUEUE_SUFFIX}`);
    await running;
  } finally {
    await gauges?.stop();
    await connection.close();
    await clientConnection.close();
    await reencrypting;
    await store.close();
  }
  hooks.stopped?.();
}

/** The process entry: settings and hooks from the environment. */
export async function runWorkerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadAppConfig(env);
  await runWorker(config, await loadHooks(config.workerHooksModule));
}

if (require.main === module) {
  runWorkerFromEnv().catch((error: unknown) => {
    console.error(`worker failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
