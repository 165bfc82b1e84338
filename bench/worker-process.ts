/**
 * A lifecycle worker in its own process, for the benchmark and the memory profiling: two of them share one Marketo
 * budget, and one alone is measured for memory. Configured from BENCH_* variables; prints `ready` once polling.
 * It answers a line protocol on stdin:
 *
 *   `stats <id>`         → `stats <id> <json>`: memory of the process, of the main isolate and of each workflow
 *   `stats-gc <id>`        thread (through thread-probe.cjs), with a forced full GC first in the `-gc` form
 *   `snap <id> <dir>`    → heap snapshots of the main isolate and of every workflow thread in <dir>
 *
 * Stats need `node --expose-gc --require bench/profiling/thread-probe.cjs --import tsx` (bench/run.ts does so).
 * BENCH_BUDGET `calls/windowMs/concurrency` or `unlimited`. Extra knobs:
 * BENCH_MAX_CACHED (a number or `sdk`), BENCH_REUSE_V8 (`false`), BENCH_MAX_CONCURRENT_WFT, BENCH_STICKY_TIMEOUT (e.g. `5s`).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import v8 from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import { Connection, WorkflowClient } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { sandboxAdminConsole } from '../src/marketo/admin-console';
import { createMarketoClient } from '../src/marketo/client';
import { createDataConverter } from '../src/security/data-converter';
import { readKeyFile } from '../src/security/keyring';
import { FileSecretStore } from '../src/security/secret-store';
import {
  deriveWorkflowIdKey,
  instanceIdFromBaseUrl,
  lifecycleWorkflowId,
  workflowIdKeyFingerprint,
} from '../src/security/workflow-id';
import { createSweepDeps } from '../src/sweep';
import { createLifecycleWorkers, type LifecycleWorkerOptions, type MarketoQueueBudget } from '../src/worker';

const CHANNEL = 'mau-memory-probe';

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

function procStatus(): Record<string, number> {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const out: Record<string, number> = {};
  for (const key of ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile']) {
    out[key] = Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
  }
  return out;
}

interface ThreadReply {
  kind: 'reply';
  id: string;
  threadId: number;
  heap: v8.HeapInfo;
  spaces: { name: string; used: number }[];
  memory: NodeJS.MemoryUsage;
  snapshot?: string;
}

/** Asks every workflow thread; they answer when their event loop is free. */
async function askThreads(id: string, gc: boolean, snapshotDir?: string): Promise<ThreadReply[]> {
  const channel = new BroadcastChannel(CHANNEL);
  const replies: ThreadReply[] = [];
  channel.onmessage = (event: unknown) => {
    const data = (event as { data: ThreadReply }).data;
    if (data?.kind === 'reply' && data.id === id) replies.push(data);
  };
  channel.postMessage({ kind: 'request', id, gc, snapshotDir });
  await new Promise((r) => setTimeout(r, snapshotDir ? 60_000 : 1500));
  channel.close();
  return replies;
}

async function answer(line: string): Promise<void> {
  const [command, id, arg] = line.trim().split(/\s+/);
  if (!command || !id) return;
  const gc = command === 'stats-gc';
  const snapshotDir = command === 'snap' ? arg : undefined;
  const globalGc = (globalThis as { gc?: () => void }).gc;
  if ((gc || snapshotDir) && globalGc) globalGc();
  const threads = await askThreads(id, gc, snapshotDir);
  const main = {
    heap: v8.getHeapStatistics(),
    memory: process.memoryUsage(),
    snapshot: snapshotDir ? v8.writeHeapSnapshot(path.join(snapshotDir, 'main.heapsnapshot')) : undefined,
  };
  const report = { proc: procStatus(), main, threads };
  process.stdout.write(`stats ${id} ${JSON.stringify(report)}\n`);
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const dataDir = required('BENCH_DATA_DIR');
  const baseUrl = required('BENCH_SANDBOX_URL');
  const keyring = await readKeyFile(path.join(dataDir, 'keys.json'));
  const env = process.env;
  const budget = budgetFrom(env.BENCH_BUDGET ?? 'unlimited');
  // `sdk`: the SDK's own default, sized from the heap limit (reuseV8Context's formula).
  const sdkDefault = Math.max(
    Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024),
    10,
  );
  const maxCached =
    env.BENCH_MAX_CACHED === 'sdk'
      ? sdkDefault
      : env.BENCH_MAX_CACHED
        ? Number(env.BENCH_MAX_CACHED)
        : undefined;
  const tuning: NonNullable<LifecycleWorkerOptions['workflowTuning']> = {
    ...(env.BENCH_REUSE_V8 ? { reuseV8Context: env.BENCH_REUSE_V8 !== 'false' } : {}),
    ...(env.BENCH_MAX_CONCURRENT_WFT
      ? { maxConcurrentWorkflowTaskExecutions: Number(env.BENCH_MAX_CONCURRENT_WFT) }
      : {}),
    ...(env.BENCH_STICKY_TIMEOUT ? { stickyQueueScheduleToStartTimeout: env.BENCH_STICKY_TIMEOUT } : {}),
  };
  const address = required('BENCH_TEMPORAL_ADDRESS');
  const taskQueue = required('BENCH_TASK_QUEUE');
  const connection = await NativeConnection.connect({ address });
  const dataConverter = createDataConverter(keyring);
  // The sweep's real lookups of managed lifecycles, as the product's worker wires them: their cost is measured.
  const clientConnection = await Connection.connect({ address });
  const workflowClient = new WorkflowClient({ connection: clientConnection, dataConverter });
  const instanceId = instanceIdFromBaseUrl(baseUrl);
  const idKey = deriveWorkflowIdKey(keyring);
  const workers = await createLifecycleWorkers({
    connection,
    taskQueue,
    dataConverter,
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
      adminConsole: sandboxAdminConsole(baseUrl, required('BENCH_SANDBOX_ADMIN_TOKEN')),
      secrets: new FileSecretStore(path.join(dataDir, 'secrets')),
      notifier: { notify: () => Promise.resolve() },
      workflowIdKeyFingerprint: workflowIdKeyFingerprint(idKey),
      sweep: createSweepDeps(workflowClient, path.join(dataDir, `sweep-${process.pid}`), {
        taskQueue,
        workflowIdFor: (email) => lifecycleWorkflowId(instanceId, email, idKey),
      }),
    },
    ...(budget ? { marketoBudget: budget } : {}),
    ...(maxCached !== undefined ? { maxCachedWorkflows: maxCached } : {}),
    ...(Object.keys(tuning).length ? { workflowTuning: tuning } : {}),
  });
  const running = workers.map((w) => w.run());
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    answer(line).catch((error: unknown) => process.stderr.write(`stats failed: ${String(error)}\n`));
  });
  process.stdout.write('ready\n');
  await Promise.all(running);
  await connection.close();
  await clientConnection.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
