/**
 * Hooks (MARKETO_API_USERS_WORKER_HOOKS) for the product's worker entry in the benchmark and the memory
 * profiling: two workers share one Marketo budget, and one alone is measured for memory. bench/worker-env.ts
 * turns the bench's BENCH_* settings into the entry's environment; this module adds what is the bench's own.
 * It prints `ready` once polling and answers a line protocol on stdin:
 *
 *   `stats <id>`         → `stats <id> <json>`: memory of the process, of the main isolate and of each workflow
 *   `stats-gc <id>`        thread (through thread-probe.cjs), with a forced full GC first in the `-gc` form
 *   `snap <id> <dir>`    → heap snapshots of the main isolate and of every workflow thread in <dir>
 *
 * Stats need `node --expose-gc --require bench/profiling/thread-probe.cjs --import tsx` (bench/run.ts does so).
 * Worker knobs: BENCH_MAX_CACHED (a number or `sdk`), BENCH_REUSE_V8 (`false`), BENCH_MAX_CONCURRENT_WFT,
 * BENCH_STICKY_TIMEOUT (e.g. `5s`).
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import v8 from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LifecycleWorkerOptions, WorkerHooks } from '../src/app/worker';

const CHANNEL = 'mau-memory-probe';

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

/** `sdk`: the SDK's own default, sized from the heap limit (reuseV8Context's formula). */
function maxCachedFrom(value: string | undefined): number | undefined {
  if (value === 'sdk') {
    return Math.max(
      Math.floor((Math.max(v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 200, 0) * 600) / 1024),
      10,
    );
  }
  return value ? Number(value) : undefined;
}

function tuningFrom(env: NodeJS.ProcessEnv): NonNullable<LifecycleWorkerOptions['workflowTuning']> {
  return {
    ...(env.BENCH_REUSE_V8 ? { reuseV8Context: env.BENCH_REUSE_V8 !== 'false' } : {}),
    ...(env.BENCH_MAX_CONCURRENT_WFT
      ? { maxConcurrentWorkflowTaskExecutions: Number(env.BENCH_MAX_CONCURRENT_WFT) }
      : {}),
    ...(env.BENCH_STICKY_TIMEOUT ? { stickyQueueScheduleToStartTimeout: env.BENCH_STICKY_TIMEOUT } : {}),
  };
}

export const hooks: WorkerHooks = {
  setUp() {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  },
  deps: (deps) => ({ ...deps, notifier: { notify: () => Promise.resolve() } }),
  workers(options) {
    const maxCached = maxCachedFrom(process.env.BENCH_MAX_CACHED);
    const tuning = tuningFrom(process.env);
    return {
      ...options,
      ...(maxCached !== undefined ? { maxCachedWorkflows: maxCached } : {}),
      ...(Object.keys(tuning).length ? { workflowTuning: tuning } : {}),
    };
  },
  started() {
    readline.createInterface({ input: process.stdin }).on('line', (line) => {
      answer(line).catch((error: unknown) => process.stderr.write(`stats failed: ${String(error)}\n`));
    });
    process.stdout.write('ready\n');
  },
  stopped() {
    process.exit(0);
  },
};
