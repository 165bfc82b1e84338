/**
 * Memory of the lifecycle worker per sleeping lifecycle, for several worker configurations side by side.
 *
 *   npx tsx bench/profiling/memory.ts [--n 300] [--variants before,after,product:cache=0] [--snapshot]
 *
 * One Temporal dev server and one in-process sandbox (no limits); per variant, a fresh worker process
 * (the product's worker entry with bench/worker-hooks.ts) on its own task queue starts N lifecycles that provision and go to sleep on
 * a one-day expiry timer. The worker's memory is read before and after: RSS, the heap of the main isolate and of
 * the workflow thread's isolate, each before and after a forced full GC (live memory vs. retained but free).
 * Bundles: `head` (git HEAD's workflows, built as HEAD built them), `product` (this tree's bundleLifecycleWorkflows).
 * `--snapshot` also writes heap snapshots of the last variant to bench/profiling/snapshots/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Connection, WorkflowClient } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../../src/app/embedded';
import { mapLimit, sleep, spawnHeadlessDevServer, waitFor } from '../../scripts/lib/script-support';
import { startSandbox, type RunningSandbox } from '../../src/sandbox';
import { createDataConverter } from '../../src/security/data-converter';
import { loadOrCreateKeyFile } from '../../src/security/keyring';
import { deriveWorkflowIdKey, workflowIdKeyFingerprint } from '../../src/security/workflow-id';
import { ensureTemporalCli } from '../../src/temporal-servers';
import { bundleLifecycleWorkflows } from '../../src/app/worker';
import { lifecycleWorkflow } from '../../src/workflows';
import { statusQuery } from '../../src/workflows/messages';
import { benchWorkerEnv, WORKER_ENTRY } from '../worker-env';

const MiB = 2 ** 20;
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg('n') ?? 300);
const SNAPSHOT = process.argv.includes('--snapshot');

/** A worker configuration: the bundle it runs, its environment, extra node flags. */
interface Variant {
  bundle: 'product' | 'head';
  env: Record<string, string>;
  nodeArgs?: string[];
  note: string;
}

const VARIANTS: Record<string, Variant> = {
  // The committed code (git HEAD): every workflow run evaluates the zod modules it uses and all schemas; cache 250.
  before: {
    bundle: 'head',
    env: { BENCH_MAX_CACHED: '250' },
    note: 'HEAD workflows and bundle, cache 250 (HEAD default)',
  },
  // This tree as configured in src/app/worker.ts: its bundle and worker defaults.
  after: { bundle: 'product', env: {}, note: 'src/app/worker.ts bundle and defaults' },
};

/**
 * A variant by name, or ad hoc as `<bundle>[:key=value...]`: bundle `head` or `product`; keys `cache` (a number
 * or `sdk`), `reuse` (`false`), `wft` (maxConcurrentWorkflowTaskExecutions), `sticky` (e.g. `5s`), `node` (a node
 * flag, repeatable). E.g. `product:cache=50`, `head:reuse=false`, `product:node=--heap-growing-percent=20`.
 */
function variantFor(spec: string): Variant {
  const known = VARIANTS[spec];
  if (known) return known;
  const [bundle, ...pairs] = spec.split(':');
  if (bundle !== 'head' && bundle !== 'product') throw new Error(`unknown variant ${spec}`);
  const keys: Record<string, string> = {
    cache: 'BENCH_MAX_CACHED',
    reuse: 'BENCH_REUSE_V8',
    wft: 'BENCH_MAX_CONCURRENT_WFT',
    sticky: 'BENCH_STICKY_TIMEOUT',
  };
  const env: Record<string, string> = {};
  const nodeArgs: string[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (key === 'node') nodeArgs.push(value);
    else if (keys[key]) env[keys[key]] = value;
    else throw new Error(`unknown key ${key} in ${spec}`);
  }
  return { bundle, env, nodeArgs, note: spec };
}
const chosen = (arg('variants') ?? 'before,after').split(',');

const log = (line: string) =>
  process.stderr.write(`[memory ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) * 1024;
  } catch {
    return 0; // the process is gone; its exit is reported on its own
  }
}

interface Stats {
  proc: Record<string, number>;
  main: { heap: { used_heap_size: number; total_heap_size: number }; memory: NodeJS.MemoryUsage };
  threads: { heap: { used_heap_size: number; total_heap_size: number }; memory: NodeJS.MemoryUsage }[];
}

class ProfiledWorker {
  private readonly pending = new Map<string, (stats: Stats) => void>();
  private seq = 0;
  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^stats (\S+) (.*)$/.exec(line);
      if (!m) return;
      this.pending.get(m[1]!)?.(JSON.parse(m[2]!) as Stats);
      this.pending.delete(m[1]!);
    });
  }
  ask(command: 'stats' | 'stats-gc' | 'snap', extra = ''): Promise<Stats> {
    const id = String(++this.seq);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${command} ${id} ${extra}\n`);
    });
  }
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Every lifecycle must own exactly one service: tells which ones own more, and what their attempts went through. */
async function reportExtraServices(client: WorkflowClient, sandbox: RunningSandbox, prefix: string) {
  const byOwner = new Map<string, string[]>();
  for (const s of sandbox.snapshot().services) {
    if (!s.ownerEmail?.startsWith(prefix)) continue;
    byOwner.set(s.ownerEmail, [...(byOwner.get(s.ownerEmail) ?? []), s.clientId]);
  }
  const extra = [...byOwner].filter(([, ids]) => ids.length > 1);
  if (!extra.length) return;
  log(`${extra.length} lifecycles own more than one service`);
  for (const [owner] of extra.slice(0, 3)) {
    const workflowId = owner.split('@')[0]!;
    const history = await client.getHandle(workflowId).fetchHistory();
    const notes = (history.events ?? [])
      .filter(
        (e) =>
          e.activityTaskFailedEventAttributes ||
          e.activityTaskTimedOutEventAttributes ||
          (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      )
      .map((e) =>
        JSON.stringify({
          event: e.eventId?.toString(),
          failed: e.activityTaskFailedEventAttributes?.failure?.message,
          timedOut: e.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType,
          attempt: e.activityTaskStartedEventAttributes?.attempt,
          lastFailure: e.activityTaskStartedEventAttributes?.lastFailure?.message,
        }),
      );
    const scheduled = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    log(`  ${workflowId}: activities ${scheduled.join(', ')}; failures ${notes.join(' ') || 'none'}`);
  }
}

function spawnWorker(
  env: Record<string, string>,
  nodeArgs: string[],
  children: ChildProcess[],
): Promise<ProfiledWorker> {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...nodeArgs,
      '--require',
      path.join(__dirname, 'thread-probe.cjs'),
      '--import',
      'tsx',
      WORKER_ENTRY,
    ],
    {
      cwd: path.join(__dirname, '..', '..'),
      env: benchWorkerEnv({ ...process.env, ...env }),
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  child.once('exit', (code, signal) => {
    if (code !== 0) log(`worker ${child.pid} exited with ${code ?? signal}`);
  });
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout });
    rl.once('line', (line) => {
      rl.close();
      if (line.trim() === 'ready') resolve(new ProfiledWorker(child));
      else reject(new Error(`unexpected worker output: ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

/**
 * The workflow bundle as the committed code builds it (git HEAD, without this tree's changes): src/ exported by
 * `git archive` (read-only) beside a link to our node_modules, bundled as HEAD's bundleLifecycleWorkflows does.
 */
async function headBundle(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'head');
  fs.mkdirSync(root);
  const repo = path.join(__dirname, '..', '..');
  const archive = spawnSync('git', ['-C', repo, 'archive', '--format=tar', 'HEAD', 'src'], {
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) throw new Error(`git archive failed: ${String(archive.stderr)}`);
  const untar = spawnSync('tar', ['-x', '-C', root], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${String(untar.stderr)}`);
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.join(root, 'src', 'workflows'),
    failureConverterPath: path.join(root, 'src', 'security', 'failure-converter.ts'),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  return bundle.code;
}

const mib = (bytes: number) => Number((bytes / MiB).toFixed(1));
const threadHeap = (s: Stats) => s.threads.reduce((sum, t) => sum + t.heap.used_heap_size, 0);

function summary(s: Stats) {
  return {
    rss: mib(s.proc.VmRSS!),
    mainHeapUsed: mib(s.main.heap.used_heap_size),
    threadHeapUsed: mib(threadHeap(s)),
    threadHeapTotal: mib(s.threads.reduce((sum, t) => sum + t.heap.total_heap_size, 0)),
    external: mib(s.main.memory.external),
    threads: s.threads.length,
  };
}

async function main(): Promise<void> {
  for (const name of chosen) variantFor(name);
  const cli = ensureTemporalCli();
  if (cli.kind !== 'existing-path') throw new Error(`no Temporal CLI: ${cli.reason}; run npm run setup`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-memory-'));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const temporal = spawnHeadlessDevServer(cli.path, port);
  const children: ChildProcess[] = [];
  // Interrupted (Ctrl-C, timeout): no finally runs, so take the worker and the dev server down here.
  const abort = () => {
    for (const child of [...children, temporal]) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  let sandbox: RunningSandbox | undefined;
  let connection: Connection | undefined;
  try {
    const keyring = await loadOrCreateKeyFile(path.join(dataDir, 'keys.json'));
    await waitFor(
      async () => {
        connection = await Connection.connect({ address, connectTimeout: '1s' }).catch(() => undefined);
        return connection !== undefined;
      },
      60_000,
      'the Temporal dev server',
    );
    const client = new WorkflowClient({
      connection: connection!,
      dataConverter: createDataConverter(keyring),
    });
    const bundles = {
      product: path.join(dataDir, 'bundle-product.js'),
      head: path.join(dataDir, 'bundle-head.js'),
    };
    fs.writeFileSync(bundles.product, (await bundleLifecycleWorkflows()).code);
    fs.writeFileSync(bundles.head, await headBundle(dataDir));
    sandbox = await startSandbox({
      env: {},
      rateLimit: { calls: 1e9, windowMs: 1000 },
      maxConcurrent: 1e6,
      dailyQuota: 1e12,
    });
    const results = [];
    for (const [index, name] of chosen.entries()) {
      const variant = variantFor(name);
      // Ids and emails allow no `:` or `=`: name the variant's lifecycles by its position.
      const slug = `v${index}`;
      const taskQueue = `prof-${slug}`;
      log(`${name} (${variant.note}): ${N} lifecycles`);
      const worker = await spawnWorker(
        {
          BENCH_TEMPORAL_ADDRESS: address,
          BENCH_DATA_DIR: dataDir,
          BENCH_WORKFLOW_BUNDLE: bundles[variant.bundle],
          BENCH_TASK_QUEUE: taskQueue,
          BENCH_SANDBOX_URL: sandbox.baseUrl,
          BENCH_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
          BENCH_CLIENT_ID: sandbox.adminClientId,
          BENCH_CLIENT_SECRET: sandbox.adminClientSecret,
          ...variant.env,
        },
        variant.nodeArgs ?? [],
        children,
      );
      await sleep(2000);
      const before = await worker.ask('stats-gc');
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(worker.child.pid!))), 500);
      const t0 = Date.now();
      const ids = Array.from({ length: N }, (_, i) => `prof-${slug}-${i}`);
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      await mapLimit(ids, 50, (workflowId) =>
        client.start(lifecycleWorkflow, {
          taskQueue,
          workflowId,
          args: [
            {
              request: {
                email: `${workflowId}@bench.example.com`,
                firstName: 'Bench',
                lastName: 'User',
                role: { name: 'Bench Memory', permissions: ['Read-Only Lead'], workspace: 0 },
                expiresAt,
                policy: { reminderLeadsMs: ['1s'] },
              },
              workflowIdKeyFingerprint: workflowIdKeyFingerprint(deriveWorkflowIdKey(keyring)),
            },
          ],
        }),
      );
      let lastProgress = Date.now();
      const owned = () => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
          throw new Error(`the ${name} worker died`);
        }
        const count = sandbox!
          .snapshot()
          .services.filter((s) => s.ownerEmail?.startsWith(`prof-${slug}-`)).length;
        if (Date.now() - lastProgress > 15_000) {
          lastProgress = Date.now();
          log(`  ${name}: ${count}/${N} services, worker RSS ${mib(rssOf(worker.child.pid!))} MiB`);
        }
        return count;
      };
      // Every half second, as measured: a snapshot of thousands of users is not free for the process measured.
      await waitFor(() => owned() >= N, 600_000, `${N} services for ${name}`, 500);
      await waitFor(
        async () =>
          (
            await mapLimit(ids, 20, (id) =>
              client
                .getHandle(id)
                .query(statusQuery)
                .then((s) => s.phase)
                .catch(() => 'unknown'),
            )
          ).every((p) => p === 'active'),
        300_000,
        `${name} lifecycles active`,
        500,
      );
      const seconds = (Date.now() - t0) / 1000;
      await reportExtraServices(client, sandbox, `prof-${slug}-`);
      await sleep(3000);
      clearInterval(sampler);
      const after = await worker.ask('stats');
      const afterGc = await worker.ask('stats-gc');
      if (SNAPSHOT && index === chosen.length - 1) {
        const dir = path.join(__dirname, 'snapshots');
        fs.mkdirSync(dir, { recursive: true });
        await worker.ask('snap', dir);
        log(`heap snapshots in ${dir}`);
      }
      await worker.stop();
      const row = {
        variant: name,
        note: variant.note,
        lifecycles: N,
        secondsToActive: Number(seconds.toFixed(1)),
        peakRssMiB: mib(peak),
        before: summary(before),
        after: summary(after),
        afterGc: summary(afterGc),
        rssMiBPer1000Sleeping: Number(
          ((after.proc.VmRSS! - before.proc.VmRSS!) / MiB / (N / 1000)).toFixed(0),
        ),
        rssMiBPer1000AfterGc: Number(
          ((afterGc.proc.VmRSS! - before.proc.VmRSS!) / MiB / (N / 1000)).toFixed(0),
        ),
        liveThreadHeapMiBPer1000: Number(
          ((threadHeap(afterGc) - threadHeap(before)) / MiB / (N / 1000)).toFixed(0),
        ),
      };
      log(JSON.stringify(row));
      results.push(row);
    }
    process.stdout.write(
      JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2) + '\n',
    );
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await connection?.close();
    await sandbox?.close();
    const exited = new Promise((r) => temporal.once('exit', r));
    temporal.kill('SIGTERM');
    const timer = setTimeout(() => temporal.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`memory experiment failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1); // a sampler may still hold the event loop after a failure
});
