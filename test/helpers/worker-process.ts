/** Starting the product's worker entry (src/app/worker.ts) as a child process, against a harness. */
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Harness } from './lifecycle-harness';

export const WORKER_ENTRY = path.join(__dirname, '..', '..', 'src', 'app', 'worker.ts');

/**
 * The environment of a worker process on the harness's queue, data folder, keys and sandbox (or `marketoUrl`,
 * e.g. a proxy in front of it), with the test hooks of ./worker-hooks.ts and the prebuilt `bundleFile`.
 */
export function workerProcessEnv(
  env: TestWorkflowEnvironment,
  h: Harness,
  options: { bundleFile: string; notificationsFile: string; marketoUrl?: string },
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    MARKETO_API_USERS_TASK_QUEUE: h.taskQueue,
    MARKETO_API_USERS_DATA_DIR: h.dataDir,
    MARKETO_API_USERS_SECRET_DIR: path.join(h.dataDir, 'secrets'),
    MARKETO_BASE_URL: options.marketoUrl ?? h.sandbox.baseUrl,
    MARKETO_CLIENT_ID: h.sandbox.adminClientId,
    MARKETO_CLIENT_SECRET: h.sandbox.adminClientSecret,
    MARKETO_BUDGET_CALLS: 'unlimited',
    MARKETO_ADMIN_CONSOLE: 'sandbox',
    MARKETO_SANDBOX_ADMIN_TOKEN: h.sandbox.adminToken,
    MARKETO_API_USERS_WORKFLOW_BUNDLE: options.bundleFile,
    MARKETO_API_USERS_WORKER_HOOKS: path.join(__dirname, 'worker-hooks.ts'),
    MAU_NOTIFICATIONS_FILE: options.notificationsFile,
    ...extra,
  };
}
