/**
 * `npm run bench` (full) and `npm run bench -- --quick` (under 3 minutes): four figures against the Marketo
 * sandbox and a local Temporal dev server, printed as one JSON object, written to bench/results/ with an SVG
 * chart of Marketo calls per second against the budget line.
 *
 * 1. budgetUtilization: N onboardings by 2 worker processes sharing a scaled budget (50 calls per 2 s).
 * 2. overheadRatio: lifecycle provisioning throughput over a baseline of as many no-op activities.
 * 3. sleepingScale: K lifecycles asleep on their expiry timers; worker RSS per 1,000.
 *    listScale, in the same run: `list` over those K lifecycles from visibility and the old way (a status Query
 *    to each), as wall time and as Temporal calls made.
 * 4. expiryLateness: K lifecycles expiring at one instant; how late the lock and the deactivation come.
 * 5. sweepScale: one sweep over an instance of U hand-made API-only users (full mode only: 10,000), its calls
 *    against the budget, and what the same sweep takes at Marketo's default budget of 50 calls per 20 s.
 * 6. rotationCalls: the Marketo calls (REST, identity, admin console) of one full secret rotation, averaged over
 *    N (quick 5, full 20), against those of one onboarding in the same run (bench/rotation-calls.ts).
 *
 * `--only a,b` runs just the named figures (for example `--only sweepScale`); `--sweep-users N` sizes sweepScale;
 * `--no-lateness` leaves expiryLateness out of sleepingScale (for listScale alone); `--settle` waits for a quiet
 * machine before listScale.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  WorkflowClient,
  type ConnectionOptions,
  type DataConverter,
} from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../src/app/embedded';
import { mapLimit, sleep, spawnHeadlessDevServer, stopChild, waitFor } from '../scripts/lib/script-support';
import type { LifecycleRequestInput } from '../src/domain/lifecycle-request';
import { startSandbox, type RunningSandbox } from '../src/sandbox';
import { createDataConverter } from '../src/security/data-converter';
import { loadOrCreateKeyFile } from '../src/security/keyring';
import {
  deriveWorkflowIdKey,
  instanceIdFromBaseUrl,
  workflowIdKeyFingerprint,
} from '../src/security/workflow-id';
import { ensureTemporalCli } from '../src/temporal-servers';
import { DEFAULT_MAX_CACHED_WORKFLOWS, loadAppConfig } from '../src/app/config';
import { buildActivityDeps } from '../src/app/deps';
import { bundleLifecycleWorkflows, createWorkers } from '../src/app/worker';
import { lifecycleWorkflow, sweepWorkflow } from '../src/workflows';
import { statusQuery } from '../src/workflows/messages';
import {
  listByStatusQueries,
  listFromVisibility,
  listQuery,
  type LifecycleSummary,
} from '../src/lifecycle-list';
import { lifecyclePhaseSchema } from '../src/domain/lifecycle-status';
import { EMAIL_MEMO_FIELD, MauExpiresAt, MauPhase } from '../src/domain/search-attributes';
import { baselineActivities } from './baseline-activities';
import { callsPerSecondSvg } from './chart';
import { benchWorkerEnv, WORKER_ENTRY } from './worker-env';
import { rotationCalls } from './rotation-calls';

const quick = process.argv.includes('--quick');
const PARAMS = quick
  ? { budgetN: 50, overheadM: 100, sleepingK: 1000, latenessK: 200, sweepUsers: 0, rotations: 5 }
  : { budgetN: 200, overheadM: 300, sleepingK: 10_000, latenessK: 1000, sweepUsers: 10_000, rotations: 20 };
const FIGURES = [
  'budgetUtilization',
  'overheadRatio',
  'sleepingScale',
  'sweepScale',
  'rotationCalls',
] as const;
type Figure = (typeof FIGURES)[number];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? (process.argv[onlyArg + 1] ?? '').split(',') : undefined;
for (const name of only ?? []) {
  if (!(FIGURES as readonly string[]).includes(name))
    throw new Error(`--only: unknown figure "${name}"; choose from ${FIGURES.join(', ')}`);
}
const wanted = (figure: Figure) =>
  only ? only.includes(figure) : figure !== 'sweepScale' || PARAMS.sweepUsers > 0;
/** The sweep's scaled budget: the 2-core machine, not the budget, should set its pace (see the note in sweepScale). */
const SWEEP_BUDGET = { calls: 200, windowMs: 1000, concurrency: 5 };
/** Marketo's advice for one integration, the product's default budget. */
const DEFAULT_BUDGET_PER_SECOND = 50 / 20;
const BUDGET = { calls: 50, windowMs: 2000, concurrencyPerWorker: 2, workers: 2 };
const SANDBOX_LIMITS = { calls: 100, windowMs: 2000, maxConcurrent: 10 };
const PROVISIONING_ACTIVITIES = 6; // capabilities, roles, invite, get user, create service, verify

const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (name) ", utime and stime are the 12th and 13th fields.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU used by each part during a phase, in cores (CPU seconds per wall second): which process a figure waits on,
 * and whether the machine itself is the limit (the parts add up to its core count).
 */
function cpuMeter(ctx: Context, workerPids: number[]) {
  const parts: Record<string, number[]> = {
    temporalServer: [ctx.serverPid],
    workerProcesses: workerPids,
    benchProcess: [process.pid],
  };
  const read = () =>
    Object.fromEntries(
      Object.entries(parts).map(([name, pids]) => [
        name,
        pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      ]),
    );
  const before = read();
  const t0 = Date.now();
  return () => {
    const after = read();
    const wall = (Date.now() - t0) / 1000;
    const cores = Object.fromEntries(
      Object.keys(parts)
        .filter((name) => parts[name]!.length)
        .map((name) => [name, Number(((after[name]! - before[name]!) / wall).toFixed(2))]),
    );
    const total = Object.values(cores).reduce((sum, c) => sum + c, 0);
    return { ...cores, total: Number(total.toFixed(2)), machineCores: os.cpus().length };
  };
}

/**
 * Samples a process's RSS against how many onboardings are done, so the JSON shows whether memory follows the
 * number of sleeping lifecycles (it should not: only the bounded workflow cache costs memory).
 */
function rssCurve(pid: number, done: () => number, total: number) {
  const marks = [0.2, 0.4, 0.6, 0.8, 1].map((f) => Math.round(f * total));
  const points: { onboarded: number; rssMiB: number }[] = [];
  const timer = setInterval(() => {
    const onboarded = done();
    while (marks.length && onboarded >= marks[0]!) {
      marks.shift();
      points.push({ onboarded, rssMiB: Number(rssMiB(pid).toFixed(1)) });
    }
  }, 2000);
  return { points, stop: () => clearInterval(timer) };
}

interface Context {
  dataDir: string;
  address: string;
  client: WorkflowClient;
  /** Of the keys.json the bench's workers and starts share. */
  fingerprint: string;
  bundleFile: string;
  children: ChildProcess[];
  serverPid: number;
  /** The product's (encrypting) converter, for clients of the bench's own. */
  dataConverter: DataConverter;
}

/** Workflow ids double as secret-store keys, which allow no `@`: the local part is unique here. */
const idFor = (taskQueue: string, email: string) => `bench-${taskQueue}-${email.split('@')[0]}`;

function request(email: string, expiresAt: Date, roleName: string): LifecycleRequestInput {
  return {
    email,
    firstName: 'Bench',
    lastName: 'User',
    role: { name: roleName, permissions: ['Read-Only Lead'], workspace: 0 },
    expiresAt: expiresAt.toISOString(),
    policy: { reminderLeadsMs: ['1s'] },
  };
}

async function startLifecycles(
  ctx: Context,
  taskQueue: string,
  emails: string[],
  expiresAt: Date,
  role: string,
) {
  await mapLimit(emails, 50, async (email) => {
    const workflowId = idFor(taskQueue, email);
    await ctx.client.start(lifecycleWorkflow, {
      taskQueue,
      workflowId,
      args: [{ request: request(email, expiresAt, role), workflowIdKeyFingerprint: ctx.fingerprint }],
    });
  });
}

/**
 * Whether every lifecycle of `emails` is active, from two visibility counts: a status Query to each was 10,000
 * workflow tasks for sleepingScale, minutes of load right before the figures. The emails share a prefix
 * (`sleep-`), which names their workflow ids.
 */
async function allActive(ctx: Context, taskQueue: string, emails: string[]): Promise<boolean> {
  const local = emails[0]!.split('@')[0]!;
  const prefix = idFor(taskQueue, `${local.slice(0, local.indexOf('-') + 1)}@x`);
  if (!emails.every((email) => idFor(taskQueue, email).startsWith(prefix)))
    throw new Error(`allActive: the emails must share the prefix of ${emails[0]}`);
  const ids = `WorkflowId STARTS_WITH '${prefix}'`;
  const failed = (await ctx.client.count(`${ids} AND MauPhase = 'failed'`)).count;
  if (failed) throw new Error(`${failed} lifecycles failed on ${taskQueue}`);
  const active = await ctx.client.count(`${ids} AND MauPhase = 'active' AND ExecutionStatus = 'Running'`);
  return active.count === emails.length;
}

async function failedOn(ctx: Context, taskQueue: string): Promise<number> {
  const { count } = await ctx.client.count(
    `WorkflowId STARTS_WITH 'bench-${taskQueue}-' AND ExecutionStatus = 'Failed'`,
  );
  return count;
}

/** Waits until `prefix`'s users all have their service, failing fast when any lifecycle failed. */
async function waitForServices(
  ctx: Context,
  sandbox: RunningSandbox,
  taskQueue: string,
  prefix: string,
  n: number,
  timeoutMs: number,
  intervalMs = 200,
  onCount: (count: number) => void = () => {},
) {
  await waitFor(
    async () => {
      const failed = await failedOn(ctx, taskQueue);
      if (failed) throw new Error(`${failed} lifecycles failed on ${taskQueue}`);
      const count = servicesFor(sandbox, prefix);
      onCount(count);
      return count === n;
    },
    timeoutMs,
    `${n} onboardings on ${taskQueue}`,
    intervalMs,
  );
}

function servicesFor(sandbox: RunningSandbox, prefix: string): number {
  return sandbox.snapshot().services.filter((s) => s.ownerEmail?.startsWith(prefix)).length;
}

function spawnWorker(ctx: Context, env: Record<string, string>): Promise<ChildProcess> {
  const probe = path.join(__dirname, 'profiling', 'thread-probe.cjs');

  // --expose-gc and the thread probe only serve liveHeapMiB: a forced GC runs when the bench asks, never by itself.
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--require', probe, '--import', 'tsx', WORKER_ENTRY],
    {
      cwd: path.join(__dirname, '..'),
      env: benchWorkerEnv({
        ...process.env,
        BENCH_TEMPORAL_ADDRESS: ctx.address,
        BENCH_DATA_DIR: ctx.dataDir,
        BENCH_WORKFLOW_BUNDLE: ctx.bundleFile,
        ...env,
      }),
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  ctx.children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code} before it was ready`)));
  });
}

/**
 * The worker's live JavaScript heap after a forced full GC, main isolate plus workflow threads (where workflow
 * state lives): what memory the lifecycles hold, unlike RSS, which keeps pages V8 has not given back.
 */
async function liveHeapMiB(child: ChildProcess): Promise<number> {
  const id = `live-${Date.now()}`;
  const lines = readline.createInterface({ input: child.stdout! });
  try {
    const reply = new Promise<string>((resolve) => {
      lines.on('line', (line) => {
        if (line.startsWith(`stats ${id} `)) resolve(line.slice(`stats ${id} `.length));
      });
    });
    child.stdin!.write(`stats-gc ${id}\n`);
    const stats = JSON.parse(await reply) as {
      main: { heap: { used_heap_size: number } };
      threads: { heap: { used_heap_size: number } }[];
    };
    if (!stats.threads.length) throw new Error('no workflow thread answered the memory probe');
    const used =
      stats.main.heap.used_heap_size + stats.threads.reduce((sum, t) => sum + t.heap.used_heap_size, 0);
    return used / 2 ** 20;
  } finally {
    lines.close();
  }
}

/** Every 250 ms, the sandbox's count of charged User Management calls, in seconds since the start. */
function chargedCallsSampler(sandbox: RunningSandbox) {
  const samples: { t: number; charged: number }[] = [];
  const t0 = Date.now();
  const timer = setInterval(() => {
    samples.push({
      t: (Date.now() - t0) / 1000,
      charged: sandbox.snapshot().counters.userManagement.charged,
    });
  }, 250);
  return { samples, t0, stop: () => clearInterval(timer) };
}

async function budgetUtilization(ctx: Context) {
  const n = PARAMS.budgetN;
  log(
    `budgetUtilization: ${n} onboardings, ${BUDGET.workers} worker processes, budget ${BUDGET.calls}/${BUDGET.windowMs} ms`,
  );
  const sandbox = await startSandbox({
    env: {},
    rateLimit: { calls: SANDBOX_LIMITS.calls, windowMs: SANDBOX_LIMITS.windowMs },
    maxConcurrent: SANDBOX_LIMITS.maxConcurrent,
    dailyQuota: 10_000_000,
  });
  const taskQueue = 'bench-budget';
  const workers = await Promise.all(
    Array.from({ length: BUDGET.workers }, () =>
      spawnWorker(ctx, {
        BENCH_TASK_QUEUE: taskQueue,
        BENCH_SANDBOX_URL: sandbox.baseUrl,
        BENCH_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
        BENCH_CLIENT_ID: sandbox.adminClientId,
        BENCH_CLIENT_SECRET: sandbox.adminClientSecret,
        BENCH_BUDGET: `${BUDGET.calls}/${BUDGET.windowMs}/${BUDGET.concurrencyPerWorker}`,
      }),
    ),
  );
  const cpu = cpuMeter(
    ctx,
    workers.map((w) => w.pid!),
  );
  const { samples, stop: stopSampling, t0 } = chargedCallsSampler(sandbox);
  const emails = Array.from({ length: n }, (_, i) => `budget-${i}@bench.example.com`);
  await startLifecycles(ctx, taskQueue, emails, new Date(Date.now() + 30 * 86_400_000), 'Bench Budget');
  await waitForServices(ctx, sandbox, taskQueue, 'budget-', n, 600_000);
  await waitFor(() => allActive(ctx, taskQueue, emails), 120_000, 'budget lifecycles active');
  stopSampling();
  const cpuCores = cpu();
  samples.push({ t: (Date.now() - t0) / 1000, charged: sandbox.snapshot().counters.userManagement.charged });
  const snapshot = sandbox.snapshot();
  const charged = snapshot.counters.userManagement.charged;
  const firstCall = samples.find((s) => s.charged > 0)!;
  const lastCall = samples.find((s) => s.charged === charged)!;
  const seconds = Math.max(0.25, lastCall.t - firstCall.t);
  const budgetPerSecond = BUDGET.calls / (BUDGET.windowMs / 1000);
  const callsPerSecond = charged / seconds;
  const series: { t: number; callsPerSecond: number }[] = [];
  for (let i = 4; i < samples.length; i += 4) {
    const a = samples[i - 4]!;
    const b = samples[i]!;
    series.push({ t: b.t, callsPerSecond: (b.charged - a.charged) / (b.t - a.t) });
  }
  for (const w of workers) await stopChild(w);
  await sandbox.close();
  return {
    figure: {
      params: {
        onboardings: n,
        workerProcesses: BUDGET.workers,
        budget: BUDGET,
        sandboxLimits: SANDBOX_LIMITS,
      },
      marketoCalls: charged,
      seconds: Number(seconds.toFixed(2)),
      callsPerSecond: Number(callsPerSecond.toFixed(2)),
      budgetPerSecond,
      budgetUtilization: Number((callsPerSecond / budgetPerSecond).toFixed(3)),
      answers606: snapshot.counters.userManagement.answersByCode['606'] ?? 0,
      answers615: snapshot.counters.userManagement.answersByCode['615'] ?? 0,
      peakConcurrent: snapshot.limits.peakInFlight,
      callsPerOnboarding: Number((charged / n).toFixed(2)),
      cpuCores,
    },
    series,
    budgetPerSecond,
  };
}

async function overheadRatio(ctx: Context, connection: NativeConnection, bundle: { code: string }) {
  const m = PARAMS.overheadM;
  log(
    `overheadRatio: ${m} lifecycles vs ${m} baseline workflows of ${PROVISIONING_ACTIVITIES} no-op activities`,
  );
  const sandbox = await startSandbox({
    env: {},
    rateLimit: { calls: 1e9, windowMs: 1000 },
    maxConcurrent: 1e6,
    dailyQuota: 1e12,
  });
  const keyring = await loadOrCreateKeyFile(path.join(ctx.dataDir, 'keys.json'));
  const config = loadAppConfig({
    ...process.env,
    MARKETO_API_USERS_DATA_DIR: ctx.dataDir,
    MARKETO_API_USERS_SECRET_DIR: path.join(ctx.dataDir, 'secrets'),
    MARKETO_API_USERS_TASK_QUEUE: 'bench-overhead',
    MARKETO_ADMIN_CONSOLE: 'sandbox',
    MARKETO_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
  });
  const marketo = {
    baseUrl: sandbox.baseUrl,
    clientId: sandbox.adminClientId,
    clientSecret: sandbox.adminClientSecret,
    budget: 'unlimited' as const,
  };
  const lifecycleWorkers = await createWorkers({
    connection,
    taskQueue: config.taskQueue,
    dataConverter: createDataConverter(keyring),
    workflowBundle: bundle,
    deps: buildActivityDeps(
      {
        config,
        marketo,
        keyring,
        instanceId: instanceIdFromBaseUrl(sandbox.baseUrl),
        workflowClient: ctx.client,
      },
      { notifier: { notify: () => Promise.resolve() } },
    ),
  });
  const baselineWorker = await Worker.create({
    connection,
    taskQueue: 'bench-baseline',
    workflowsPath: require.resolve('./baseline-workflows'),
    activities: baselineActivities,
    dataConverter: createDataConverter(keyring),
  });
  const running = [...lifecycleWorkers.all, baselineWorker].map((w) => w.run());

  // Baseline first, then the lifecycle: same process, same server, same converter.
  const baselineCpu = cpuMeter(ctx, []);
  const b0 = Date.now();
  await mapLimit(
    Array.from({ length: m }, (_, i) => i),
    50,
    (i) =>
      ctx.client.execute('baselineChainWorkflow', {
        taskQueue: 'bench-baseline',
        workflowId: `bench-baseline-${i}`,
        args: [PROVISIONING_ACTIVITIES],
      }),
  );
  const baselineSeconds = (Date.now() - b0) / 1000;
  const baselineCores = baselineCpu();

  const emails = Array.from({ length: m }, (_, i) => `overhead-${i}@bench.example.com`);
  const lifecycleCpu = cpuMeter(ctx, []);
  const l0 = Date.now();
  await startLifecycles(
    ctx,
    'bench-overhead',
    emails,
    new Date(Date.now() + 30 * 86_400_000),
    'Bench Overhead',
  );
  await waitForServices(ctx, sandbox, 'bench-overhead', 'overhead-', m, 600_000);
  await waitFor(() => allActive(ctx, 'bench-overhead', emails), 120_000, 'overhead lifecycles active');
  const lifecycleSeconds = (Date.now() - l0) / 1000;
  const lifecycleCores = lifecycleCpu();
  for (const w of [...lifecycleWorkers.all, baselineWorker]) w.shutdown();
  await Promise.all(running);
  await sandbox.close();
  const lifecyclePerSecond = m / lifecycleSeconds;
  const baselinePerSecond = m / baselineSeconds;
  return {
    params: {
      workflows: m,
      noOpActivities: PROVISIONING_ACTIVITIES,
      budget: 'unlimited',
      sandboxLatencyMs: 0,
    },
    lifecyclePerSecond: Number(lifecyclePerSecond.toFixed(2)),
    baselinePerSecond: Number(baselinePerSecond.toFixed(2)),
    overheadRatio: Number((lifecyclePerSecond / baselinePerSecond).toFixed(3)),
    // Workers, sandbox and client share the bench process here.
    cpuCores: { baseline: baselineCores, lifecycle: lifecycleCores },
  };
}

async function sleepingAndLateness(ctx: Context) {
  const k = PARAMS.sleepingK;
  log(`sleepingScale: ${k} sleeping lifecycles on one worker process`);
  const sandbox = await startSandbox({
    env: {},
    rateLimit: { calls: 1e9, windowMs: 1000 },
    maxConcurrent: 1e6,
    dailyQuota: 1e12,
  });
  const taskQueue = 'bench-sleep';
  const worker = await spawnWorker(ctx, {
    BENCH_TASK_QUEUE: taskQueue,
    BENCH_SANDBOX_URL: sandbox.baseUrl,
    BENCH_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
    BENCH_CLIENT_ID: sandbox.adminClientId,
    BENCH_CLIENT_SECRET: sandbox.adminClientSecret,
    BENCH_BUDGET: 'unlimited',
  });
  await sleep(2000);
  const liveBefore = await liveHeapMiB(worker);
  const rssBefore = rssMiB(worker.pid!);
  const emails = Array.from({ length: k }, (_, i) => `sleep-${i}@bench.example.com`);
  const s0 = Date.now();
  const sleepingCpu = cpuMeter(ctx, [worker.pid!]);
  let onboarded = 0; // counted by waitForServices: one sandbox snapshot per look, not two
  const curve = rssCurve(worker.pid!, () => onboarded, k);
  await startLifecycles(ctx, taskQueue, emails, new Date(Date.now() + 86_400_000), 'Bench Sleep');
  // The sandbox shares this process: a snapshot of 10,000 users is not free, so look once a second.
  await waitForServices(
    ctx,
    sandbox,
    taskQueue,
    'sleep-',
    k,
    // 10,000 onboardings on a loaded 2-core machine take longer than half an hour.
    Math.max(1_800_000, k * 500),
    1000,
    (count) => (onboarded = count),
  );
  await waitFor(() => allActive(ctx, taskQueue, emails), 300_000, 'sleeping lifecycles active');
  const secondsToActive = (Date.now() - s0) / 1000;
  curve.stop();
  const sleepingCores = sleepingCpu();
  await sleep(3000);
  const rssAfter = rssMiB(worker.pid!);
  const rssPeak = rssMiB(worker.pid!, 'VmHWM');
  const liveAfter = await liveHeapMiB(worker);
  const sleeping = {
    params: {
      lifecycles: k,
      workerProcesses: 1,
      maxCachedWorkflows: Number(process.env.BENCH_MAX_CACHED ?? DEFAULT_MAX_CACHED_WORKFLOWS),
    },
    secondsUntilAllActive: Number(secondsToActive.toFixed(1)),
    onboardingsPerSecond: Number((k / secondsToActive).toFixed(1)),
    workerRssMiBBefore: Number(rssBefore.toFixed(1)),
    workerRssMiBAfter: Number(rssAfter.toFixed(1)),
    rssMiBPer1000Sleeping: Number(((rssAfter - rssBefore) / (k / 1000)).toFixed(2)),
    workerPeakRssMiB: Number(rssPeak.toFixed(1)),
    liveHeapMiBBefore: Number(liveBefore.toFixed(1)),
    liveHeapMiBAfter: Number(liveAfter.toFixed(1)),
    liveHeapMiBPer1000Sleeping: Number(((liveAfter - liveBefore) / (k / 1000)).toFixed(2)),
    rssWhileOnboarding: curve.points,
    cpuCores: sleepingCores,
  };

  const list = await listScale(ctx, k);
  if (process.argv.includes('--no-lateness')) {
    await stopChild(worker);
    await sandbox.close();
    return { sleeping, list, lateness: undefined };
  }

  const l = PARAMS.latenessK;
  // Enough time to provision all of them first, from the rate just measured, plus a margin.
  const leadMs = Math.ceil((l / sleeping.onboardingsPerSecond) * 1500) + 10_000;
  // Whole seconds, as every lifecycle expiry is: the reference must be the instant the lifecycles hold.
  const expiry = new Date(Math.ceil((Date.now() + leadMs) / 1000) * 1000);
  log(`expiryLateness: ${l} lifecycles expiring together at ${expiry.toISOString()}`);
  const lateEmails = Array.from({ length: l }, (_, i) => `late-${i}@bench.example.com`);
  await startLifecycles(ctx, taskQueue, lateEmails, expiry, 'Bench Late');
  await waitFor(
    () => allActive(ctx, taskQueue, lateEmails),
    leadMs,
    'lateness lifecycles active before their expiry',
  );
  await sleep(Math.max(0, expiry.getTime() - Date.now()));
  const deactivationCpu = cpuMeter(ctx, [worker.pid!]);
  await waitFor(
    async () =>
      (
        await ctx.client.count(
          `WorkflowId STARTS_WITH 'bench-${taskQueue}-late-' AND ExecutionStatus = 'Completed'`,
        )
      ).count === l,
    600_000,
    'lateness lifecycles deactivated',
  );
  const deactivationCores = deactivationCpu();
  const statuses = await mapLimit(lateEmails, 50, (email) =>
    ctx.client.getHandle(idFor(taskQueue, email)).query(statusQuery),
  );
  const deactivationLate = statuses
    .map((s) => Date.parse(s.deactivation!.at) - expiry.getTime())
    .sort((a, b) => a - b);
  const users = new Map(sandbox.snapshot().users.map((u) => [u.emailAddress, u]));
  const lockLate = lateEmails
    .map((e) => Date.parse(users.get(e)!.lockedAt!) - expiry.getTime())
    .sort((a, b) => a - b);
  await stopChild(worker);
  await sandbox.close();
  return {
    sleeping,
    list,
    lateness: {
      params: {
        lifecycles: l,
        expiringAt: 'one instant',
        budget: 'unlimited',
        alongside: `${k} sleeping lifecycles`,
      },
      lockLatenessMs: { p50: percentile(lockLate, 50), p99: percentile(lockLate, 99), max: lockLate.at(-1) },
      deactivationLatenessMs: {
        p50: percentile(deactivationLate, 50),
        p99: percentile(deactivationLate, 99),
        max: deactivationLate.at(-1),
      },
      outcomes: Object.fromEntries(
        [...new Set(statuses.map((s) => s.deactivation!.outcome))].map((o) => [
          o,
          statuses.filter((s) => s.deactivation!.outcome === o).length,
        ]),
      ),
      cpuCoresFromExpiryToLastDeactivation: deactivationCores,
    },
  };
}

/**
 * `list` over the k sleeping lifecycles, both ways in the same run, on a client of its own whose gRPC calls are
 * counted: from visibility (one ListWorkflowExecutions call per page) and the old way (a status Query to each,
 * which the worker answers, replaying whatever left its cache).
 */
type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

async function listScale(ctx: Context, k: number) {
  let calls = 0;
  const connection = await Connection.connect({
    address: ctx.address,
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions()),
      (options, next) => {
        calls += 1;
        return next(options) as ReturnType<GrpcInterceptor>;
      },
    ],
  });
  const client = new WorkflowClient({ connection, dataConverter: ctx.dataConverter });
  const measure = async (how: string, body: () => Promise<LifecycleSummary[]>) => {
    log(`listScale: ${how} over ${k} sleeping lifecycles`);
    calls = 0;
    const t0 = Date.now();
    const listed = await body();
    const seconds = (Date.now() - t0) / 1000;
    const active = listed.filter((l) => l.phase === 'active' && l.email !== null).length;
    return { wallSeconds: Number(seconds.toFixed(2)), temporalCalls: calls, listed: listed.length, active };
  };
  try {
    const load = await settle();
    const visibilityRuns = [];
    for (let run = 0; run < LIST_RUNS; run++)
      visibilityRuns.push(await measure('from visibility', () => listFromVisibility(client, {})));
    const sdkIteratorRuns = [];
    for (let run = 0; run < LIST_RUNS; run++)
      sdkIteratorRuns.push(await measure("through the SDK's list iterator", () => listBySdkIterator(client)));
    const statusQueries = await measure('by status queries', () => listByStatusQueries(client));
    return {
      params: { lifecycles: k, pageSize: 1000, runs: LIST_RUNS },
      loadAverageBefore: load,
      visibility: { ...median(visibilityRuns), wallSecondsEachRun: visibilityRuns.map((r) => r.wallSeconds) },
      visibilitySdkIterator: {
        ...median(sdkIteratorRuns),
        wallSecondsEachRun: sdkIteratorRuns.map((r) => r.wallSeconds),
      },
      statusQueries,
    };
  } finally {
    await connection.close();
  }
}

/** Each visibility path runs this many times in a row; the figure is the median run. */
const LIST_RUNS = 3;

function median<T extends { wallSeconds: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.wallSeconds - b.wallSeconds)[Math.floor(runs.length / 2)]!;
}

/**
 * `--settle`: wait (at most 30 minutes) until the machine's 1-minute load average is under half its cores, so
 * the list figures are not those of whatever else the machine runs. The load seen is reported either way.
 */
async function settle(): Promise<number> {
  const quietBelow = os.cpus().length / 2;
  const deadline = Date.now() + 30 * 60_000;
  if (process.argv.includes('--settle')) {
    while (os.loadavg()[0]! >= quietBelow && Date.now() < deadline) {
      log(`listScale: load average ${os.loadavg()[0]!.toFixed(2)}, waiting for under ${quietBelow}`);
      await sleep(30_000);
    }
  }
  return Number(os.loadavg()[0]!.toFixed(2));
}

/**
 * `list` as the SDK's iterator gives it: each memo decoded alone, the next page asked for only after the last
 * execution of the current one. The lever `visibilityPages` pulls, measured beside it.
 */
async function listBySdkIterator(client: WorkflowClient): Promise<LifecycleSummary[]> {
  const summaries: LifecycleSummary[] = [];
  for await (const e of client.list({ query: listQuery({}, Date.now()), pageSize: 1000 })) {
    const email = e.memo?.[EMAIL_MEMO_FIELD];
    const phase = lifecyclePhaseSchema.safeParse(e.typedSearchAttributes.get(MauPhase));
    summaries.push({
      workflowId: e.workflowId,
      email: typeof email === 'string' ? email : null,
      phase: phase.success ? phase.data : 'unknown',
      expiresAt: e.typedSearchAttributes.get(MauExpiresAt)?.toISOString() ?? null,
      workflowStatus: e.status.name,
      startedAt: e.startTime.toISOString(),
    });
  }
  return summaries;
}

/** The most calls any one-second window held, from samples of the cumulative count every 250 ms. */
function peakPerSecond(samples: { t: number; charged: number }[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < samples.length; i++) {
    while (samples[i]!.t - samples[j]!.t > 1) j++;
    peak = Math.max(peak, samples[i]!.charged - samples[Math.max(0, j - 1)]!.charged);
  }
  return peak;
}

/**
 * One sweep over U hand-made API-only users in four groups: compliant, without an expiry (`set` gives one), past
 * their expiry but unlocked by an admin (locked again), and exempt. Every list, read and write goes through the
 * Marketo queue, so the server-side rate limit is the budget. The budget is scaled (200 calls/s) so the run fits
 * in minutes; at Marketo's default budget the same calls take calls / 2.5 seconds, reported beside.
 */
async function sweepScale(ctx: Context) {
  const usersArg = process.argv.indexOf('--sweep-users');
  const u = usersArg >= 0 ? Number(process.argv[usersArg + 1]) : PARAMS.sweepUsers || 10_000;
  if (!Number.isInteger(u) || u < 10 || u > 20_000)
    throw new Error('--sweep-users: a whole number, 10 to 20000');
  log(`sweepScale: one sweep over ${u} hand-made API-only users, budget ${SWEEP_BUDGET.calls}/s`);
  const sandbox = await startSandbox({
    env: {},
    rateLimit: { calls: SWEEP_BUDGET.calls * 2, windowMs: 1000 },
    maxConcurrent: 10,
    dailyQuota: 10_000_000,
  });
  const day = 86_400_000;
  const groups = {
    compliant: Math.round(u * 0.3),
    noExpiry: Math.round(u * 0.4),
    expiredUnlocked: Math.round(u * 0.2),
    exempt: 0,
  };
  groups.exempt = u - groups.compliant - groups.noExpiry - groups.expiredUnlocked;
  const seedStarted = Date.now();
  sandbox.operator.seedUsers({
    count: groups.compliant,
    prefix: 'compliant',
    expiresAt: new Date(Date.now() + 30 * day).toISOString(),
  });
  sandbox.operator.seedUsers({ count: groups.noExpiry, prefix: 'no-expiry' });
  sandbox.operator.seedUsers({
    count: groups.expiredUnlocked,
    prefix: 'expired',
    expiresAt: new Date(Date.now() - day).toISOString(),
  });
  for (let i = 1; i <= groups.expiredUnlocked; i++) {
    sandbox.operator.unlockUser(`expired-${String(i).padStart(6, '0')}@sandbox.local`);
  }
  sandbox.operator.seedUsers({ count: groups.exempt, prefix: 'exempt' });
  const before = sandbox.snapshot();
  const seeded = before.users.filter((x) => x.origin === 'seed');
  if (seeded.length !== u) throw new Error(`seeded ${seeded.length} users, wanted ${u}`);
  if (seeded.filter((x) => x.isLocked).length !== 0)
    throw new Error('a seeded user is locked before the sweep');
  log(`sweepScale: ${u} users seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
  sandbox.operator.resetCounters();

  const taskQueue = 'bench-sweep';
  const worker = await spawnWorker(ctx, {
    BENCH_TASK_QUEUE: taskQueue,
    BENCH_SANDBOX_URL: sandbox.baseUrl,
    BENCH_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
    BENCH_CLIENT_ID: sandbox.adminClientId,
    BENCH_CLIENT_SECRET: sandbox.adminClientSecret,
    BENCH_BUDGET: `${SWEEP_BUDGET.calls}/${SWEEP_BUDGET.windowMs}/${SWEEP_BUDGET.concurrency}`,
  });
  const cpu = cpuMeter(ctx, [worker.pid!]);
  const { samples, stop: stopSampling, t0 } = chargedCallsSampler(sandbox);
  const workflowId = `bench-sweep-${Date.now()}`;
  const report = await ctx.client.execute(sweepWorkflow, {
    taskQueue,
    workflowId,
    args: [
      {
        policy: { requireExpiry: 'set', lockExpired: true, exempt: ['exempt-*@sandbox.local'] },
      },
    ],
  });
  const seconds = (Date.now() - t0) / 1000;
  stopSampling();
  const cpuCores = cpu();
  const after = sandbox.snapshot();
  samples.push({ t: seconds, charged: after.counters.userManagement.charged });
  await stopChild(worker);

  const runs: { historyLength: number; historySize: number }[] = [];
  for await (const execution of ctx.client.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push({ historyLength: execution.historyLength, historySize: execution.historySize ?? 0 });
  }
  const users = after.users.filter((x) => x.origin === 'seed');
  const group = (prefix: string) => users.filter((x) => x.emailAddress.startsWith(`${prefix}-`));
  const now = Date.now();
  // What the sandbox holds afterwards, group by group: the sweep's report is checked against Marketo's state.
  const state = {
    noExpiryNowWithExpiry: group('no-expiry').filter((x) => x.expiresAt !== null).length,
    expiredNowLocked: group('expired').filter((x) => x.isLocked).length,
    compliantUntouched: group('compliant').filter(
      (x) => !x.isLocked && x.expiresAt !== null && Date.parse(x.expiresAt) > now + 29 * day,
    ).length,
    exemptUntouched: group('exempt').filter((x) => x.expiresAt === null && !x.isLocked).length,
  };
  const { charged, byEndpoint, answersByCode } = after.counters.userManagement;
  await sandbox.close();
  const expected = {
    scanned: u + 1,
    compliant: groups.compliant,
    locked: groups.expiredUnlocked,
    expirySet: groups.noExpiry,
    exempt: groups.exempt + 1,
    errors: 0,
  };
  const mismatches = Object.entries(expected).filter(
    ([key, value]) => report.counts[key as keyof typeof report.counts] !== value,
  );
  if (mismatches.length)
    throw new Error(`sweep report differs from the seeded instance: ${JSON.stringify(report.counts)}`);
  if (
    state.noExpiryNowWithExpiry !== groups.noExpiry ||
    state.expiredNowLocked !== groups.expiredUnlocked ||
    state.compliantUntouched !== groups.compliant ||
    state.exemptUntouched !== groups.exempt
  )
    throw new Error(
      `the sandbox's state after the sweep is not what the report says: ${JSON.stringify(state)}`,
    );
  const callsPerSecond = charged / seconds;
  return {
    params: {
      users: u,
      groups,
      budget: SWEEP_BUDGET,
      sandboxLimits: { calls: SWEEP_BUDGET.calls * 2, windowMs: 1000, maxConcurrent: 10 },
    },
    seconds: Number(seconds.toFixed(1)),
    marketoCalls: charged,
    callsByEndpoint: byEndpoint,
    callsPerUser: Number((charged / u).toFixed(3)),
    callsPerSecond: Number(callsPerSecond.toFixed(1)),
    budgetPerSecond: SWEEP_BUDGET.calls / (SWEEP_BUDGET.windowMs / 1000),
    peakCallsInOneSecond: peakPerSecond(samples),
    answers606: answersByCode['606'] ?? 0,
    answers615: answersByCode['615'] ?? 0,
    peakConcurrent: after.limits.peakInFlight,
    report: report.counts,
    sandboxStateAfter: state,
    runs: runs.length,
    largestRunHistory: {
      events: Math.max(...runs.map((r) => r.historyLength)),
      bytes: Math.max(...runs.map((r) => r.historySize)),
    },
    atDefaultBudget: {
      callsPerSecond: DEFAULT_BUDGET_PER_SECOND,
      hours: Number((charged / DEFAULT_BUDGET_PER_SECOND / 3600).toFixed(2)),
      compliantRerunHours: Number(
        ((charged - groups.noExpiry - groups.expiredUnlocked) / DEFAULT_BUDGET_PER_SECOND / 3600).toFixed(2),
      ),
    },
    cpuCores,
  };
}

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const started = Date.now();
  const cli = ensureTemporalCli();
  if (cli.kind !== 'existing-path') throw new Error(`no Temporal CLI: ${cli.reason}; run npm run setup`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-bench-'));
  const port = await freePort();
  const temporal = spawnHeadlessDevServer(cli.path, port);
  const ctx: Context = {
    dataDir,
    address: `127.0.0.1:${port}`,
    client: undefined as never,
    fingerprint: '',
    bundleFile: '',
    children: [],
    serverPid: temporal.pid!,
    dataConverter: undefined as never,
  };
  try {
    const keyring = await loadOrCreateKeyFile(path.join(dataDir, 'keys.json'));
    let connection: Connection | undefined;
    await waitFor(
      async () => {
        connection = await Connection.connect({ address: ctx.address, connectTimeout: '1s' }).catch(
          () => undefined,
        );
        return connection !== undefined;
      },
      60_000,
      'the Temporal dev server',
    );
    ctx.dataConverter = createDataConverter(keyring);
    ctx.client = new WorkflowClient({ connection: connection!, dataConverter: ctx.dataConverter });
    ctx.fingerprint = workflowIdKeyFingerprint(deriveWorkflowIdKey(keyring));
    const bundle = await bundleLifecycleWorkflows();
    ctx.bundleFile = path.join(dataDir, 'bundle.js');
    fs.writeFileSync(ctx.bundleFile, bundle.code);
    const nativeConnection = await NativeConnection.connect({ address: ctx.address });

    const budget = wanted('budgetUtilization') ? await budgetUtilization(ctx) : undefined;
    const overhead = wanted('overheadRatio') ? await overheadRatio(ctx, nativeConnection, bundle) : undefined;
    const { sleeping, list, lateness } = wanted('sleepingScale')
      ? await sleepingAndLateness(ctx)
      : { sleeping: undefined, list: undefined, lateness: undefined };
    const sweep = wanted('sweepScale') ? await sweepScale(ctx) : undefined;
    const rotation = wanted('rotationCalls')
      ? await rotationCalls({
          client: ctx.client,
          fingerprint: ctx.fingerprint,
          spawnWorker: (env) => spawnWorker(ctx, env),
          stopWorker: stopChild,
          log,
          rotations: PARAMS.rotations,
        })
      : undefined;

    const serverVersion = spawnSync(cli.path, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const result = {
      mode: quick ? 'quick' : 'full',
      at: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      },
      node: process.version,
      sdk: (
        JSON.parse(fs.readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
      server: serverVersion,
      durationSeconds: Math.round((Date.now() - started) / 1000),
      ...(only ? { only } : {}),
      budgetUtilization: budget?.figure,
      overheadRatio: overhead,
      sleepingScale: sleeping,
      listScale: list,
      expiryLateness: lateness,
      sweepScale: sweep,
      rotationCalls: rotation,
    };
    const stamp = result.at.replace(/[:.]/g, '-');
    const resultsDir = path.join(__dirname, 'results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const base = path.join(resultsDir, `${stamp}-${result.mode}`);
    fs.writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
    if (budget) {
      fs.writeFileSync(
        `${base}.svg`,
        callsPerSecondSvg(
          budget.series,
          budget.budgetPerSecond,
          `Marketo calls per second, ${PARAMS.budgetN} onboardings, 2 workers`,
        ),
      );
    }
    process.stdout.write(JSON.stringify(result) + '\n');
    log(`written ${base}.json${budget ? ` and ${base}.svg` : ''}`);
    await nativeConnection.close();
    await connection!.close();
  } finally {
    for (const child of ctx.children) await stopChild(child);
    await stopChild(temporal);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
