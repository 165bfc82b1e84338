/**
 * The environment of the product's worker entry (src/app/worker.ts) for a bench worker process, from the
 * bench's BENCH_* settings: BENCH_TEMPORAL_ADDRESS, BENCH_DATA_DIR (keys.json and secrets/ shared by the
 * bench's workers and starts), BENCH_WORKFLOW_BUNDLE, BENCH_TASK_QUEUE, BENCH_SANDBOX_URL,
 * BENCH_SANDBOX_ADMIN_TOKEN, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_BUDGET (`calls/windowMs/concurrency`
 * or `unlimited`). The BENCH_* worker knobs pass through to ./worker-hooks.ts.
 */
import path from 'node:path';

export const WORKER_ENTRY = path.join(__dirname, '..', 'src', 'app', 'worker.ts');

let workerCount = 0;

function required(env: Record<string, string | undefined>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function budgetEnv(text: string): NodeJS.ProcessEnv {
  if (text === 'unlimited') return { MARKETO_BUDGET_CALLS: 'unlimited' };
  const [calls, windowMs, concurrency] = text.split('/');
  return {
    MARKETO_BUDGET_CALLS: calls,
    MARKETO_BUDGET_WINDOW_MS: windowMs,
    MARKETO_BUDGET_CONCURRENCY: concurrency,
  };
}

export function benchWorkerEnv(bench: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const dataDir = required(bench, 'BENCH_DATA_DIR');
  return {
    ...bench,
    TEMPORAL_ADDRESS: required(bench, 'BENCH_TEMPORAL_ADDRESS'),
    // Each worker process its own sweep memory, as two sweeping workers must not write one file.
    MARKETO_API_USERS_DATA_DIR: path.join(dataDir, `sweep-${process.pid}-${++workerCount}`),
    MARKETO_API_USERS_KEY_FILE: path.join(dataDir, 'keys.json'),
    MARKETO_API_USERS_SECRET_DIR: path.join(dataDir, 'secrets'),
    MARKETO_API_USERS_WORKFLOW_BUNDLE: required(bench, 'BENCH_WORKFLOW_BUNDLE'),
    MARKETO_API_USERS_TASK_QUEUE: required(bench, 'BENCH_TASK_QUEUE'),
    MARKETO_API_USERS_WORKER_HOOKS: path.join(__dirname, 'worker-hooks.ts'),
    MARKETO_API_USERS_WEBHOOK_URL: '',
    MARKETO_BASE_URL: required(bench, 'BENCH_SANDBOX_URL'),
    MARKETO_CLIENT_ID: required(bench, 'BENCH_CLIENT_ID'),
    MARKETO_CLIENT_SECRET: required(bench, 'BENCH_CLIENT_SECRET'),
    MARKETO_ADMIN_CONSOLE: 'sandbox',
    MARKETO_SANDBOX_ADMIN_TOKEN: required(bench, 'BENCH_SANDBOX_ADMIN_TOKEN'),
    MARKETO_TIMEOUT_MS: undefined,
    MARKETO_INSTANCE_ID: undefined,
    ...budgetEnv(bench.BENCH_BUDGET ?? 'unlimited'),
  };
}
