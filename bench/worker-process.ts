/**
 * A lifecycle worker in its own process, for the benchmark: two of them share one Marketo budget, and one
 * alone is measured for memory. Configured from BENCH_* variables; prints `ready` once polling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { sandboxAdminConsole } from '../src/marketo/admin-console';
import { createMarketoClient } from '../src/marketo/client';
import { createDataConverter } from '../src/security/data-converter';
import { readKeyFile } from '../src/security/keyring';
import { FileSecretStore } from '../src/security/secret-store';
import { FileFirstSeenStore } from '../src/sweep';
import { createLifecycleWorkers, type MarketoQueueBudget } from '../src/worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function budgetFrom(text: string): MarketoQueueBudget | undefined {
  if (text === 'unlimited') return undefined;
  const [calls, windowMs, concurrency] = text.split('/').map(Number);
  return { calls: calls!, windowMs: windowMs!, concurrency: concurrency! };
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const dataDir = required('BENCH_DATA_DIR');
  const baseUrl = required('BENCH_SANDBOX_URL');
  const keyring = await readKeyFile(path.join(dataDir, 'keys.json'));
  const budget = budgetFrom(process.env.BENCH_BUDGET ?? 'unlimited');
  const maxCached = process.env.BENCH_MAX_CACHED ? Number(process.env.BENCH_MAX_CACHED) : undefined;
  const connection = await NativeConnection.connect({ address: required('BENCH_TEMPORAL_ADDRESS') });
  const workers = await createLifecycleWorkers({
    connection,
    taskQueue: required('BENCH_TASK_QUEUE'),
    dataConverter: createDataConverter(keyring),
    workflowBundle: { code: fs.readFileSync(required('BENCH_WORKFLOW_BUNDLE'), 'utf8') },
    deps: {
      marketo: createMarketoClient({
        baseUrl,
        clientId: required('BENCH_CLIENT_ID'),
        clientSecret: required('BENCH_CLIENT_SECRET'),
        budget: budget
          ? { calls: budget.calls, windowMs: budget.windowMs, maxConcurrent: budget.concurrency }
          : 'unlimited',
      }),
      adminConsole: sandboxAdminConsole(baseUrl),
      secrets: new FileSecretStore(path.join(dataDir, 'secrets')),
      notifier: { notify: () => Promise.resolve() },
      sweep: {
        managedExpiries: () => Promise.resolve({}),
        currentManagedExpiry: () => Promise.resolve(null),
        memory: new FileFirstSeenStore(path.join(dataDir, `first-seen-${process.pid}.json`)),
      },
    },
    ...(budget ? { marketoBudget: budget } : {}),
    ...(maxCached !== undefined ? { maxCachedWorkflows: maxCached } : {}),
  });
  const running = workers.map((w) => w.run());
  process.stdout.write('ready\n');
  await Promise.all(running);
  await connection.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
