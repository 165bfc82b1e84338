/**
 * Helpers for the CLI tests: run the command from the SOURCES (never a stale dist/ build) as a child process,
 * run `up` on free ports in a temp folder, read the sandbox over HTTP, and clean up every process we started.
 */
import { lastUsedSchema } from '../../src/domain/usage';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { auditEventSchema, type AuditEvent } from '../../src/store/types';
import { lifecycleStatusSchema } from '../../src/domain/lifecycle-status';
import { freePorts } from '../../src/temporal-servers/local-ports';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const MAIN = path.join('src', 'cli', 'main.ts');

/** Settings a developer's shell may carry that would point the CLI elsewhere: never passed to children. */
const KEEP = new Set(['MARKETO_API_USERS_CACHE_DIR', 'TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH']);

/** process.env without MARKETO_* / TEMPORAL_* (except where the servers come from), plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if ((key.startsWith('MARKETO_') || key.startsWith('TEMPORAL_')) && !KEEP.has(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
/** Data folders of every `up` started here: its Temporal server runs in a group of its own, found by them. */
const upDataDirs = new Set<string>();
/** The admin token file of the `up` whose sandbox is at that URL (read anew each time: a restart makes a new one). */
const sandboxTokenFiles = new Map<string, string>();

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  timeoutMs?: number;
  /** Sends `signal` once stdout matches `stdout`: a person pressing Ctrl-C halfway. */
  interrupt?: { stdout: RegExp; signal: NodeJS.Signals };
}

/** One CLI run to completion: `node --import tsx src/cli/main.ts ...args` in the repo root. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: REPO_ROOT,
      env: options.env ?? cliEnv(),
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      if (options.interrupt && !interrupted && options.interrupt.stdout.test(stdout)) {
        interrupted = true;
        child.kill(options.interrupt.signal);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`marketo-api-users ${args.join(' ')} did not finish in time\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `jobs` with at most `limit` at a time, results in order (two cores: keep CLI runs to pairs). */
export async function inPairs<T>(jobs: (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]!();
      }
    }),
  );
  return results;
}

/** `count` distinct free ports on 127.0.0.1, none handed out earlier in this test process. */
export { freePorts };

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mau-cli-${prefix}-`));
}

export const upInfoSchema = z
  .object({
    temporalAddress: z.string().regex(/^127\.0\.0\.1:\d+$/),
    uiUrl: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/),
    codecEndpoint: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/),
    sandboxUrl: z.string().nullable(),
    marketoBaseUrl: z.string(),
    adminClientId: z.string().nullable(),
    adminClientSecret: z.string().nullable(),
    sandboxAdminTokenFile: z.string().nullable(),
    dataDir: z.string(),
    notificationsFile: z.string(),
    store: z.enum(['embedded', 'file', 'postgres']),
    metricsUrl: z.string().nullable(),
  })
  .strict();
export type UpInfo = z.infer<typeof upInfoSchema>;

export interface UpProcess {
  child: ChildProcess;
  info: UpInfo;
  stdout(): string;
  stderr(): string;
  /** SIGTERM to `up` itself (it must stop its own children), waits for its exit. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface UpOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  sandboxPort: number;
  /** `up --store`; default: none (the embedded database, or the configured PostgreSQL). */
  store?: 'embedded' | 'file';
  /** `up --metrics-port`. */
  metricsPort?: number;
  env?: NodeJS.ProcessEnv;
}

export class UpStartError extends Error {}

/** `up`'s command line for a data folder and its three ports (Temporal, its Web UI, the sandbox). */
export function upArgs(options: Omit<UpOptions, 'env'>): string[] {
  return [
    'up',
    '--data-dir',
    options.dataDir,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--sandbox-port',
    String(options.sandboxPort),
    ...(options.store === undefined ? [] : ['--store', options.store]),
    ...(options.metricsPort === undefined ? [] : ['--metrics-port', String(options.metricsPort)]),
  ];
}

/** `up`'s command line for a data folder on three free ports. */
export async function upArgsOnFreePorts(dataDir: string): Promise<string[]> {
  const [port, uiPort, sandboxPort] = await freePorts(3);
  return upArgs({ dataDir, port: port!, uiPort: uiPort!, sandboxPort: sandboxPort! });
}

/**
 * `up --json` as a child process in its own process group (so that cleanup can reach the Temporal server it
 * spawns even if `up` itself has to be killed); resolves with its one JSON line.
 */
export async function startUp(options: UpOptions): Promise<UpProcess> {
  const args = [...upArgs(options), '--json'];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    env: options.env ?? cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  upDataDirs.add(options.dataDir);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + 90_000;
  while (!stdout.includes('\n')) {
    if (child.exitCode !== null || child.signalCode !== null) {
      assert.fail(`up exited early (${child.exitCode ?? child.signalCode}):\n${stdout}\n${stderr}`);
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      assert.fail(`up printed nothing in 90 s:\n${stderr}`);
    }
    await sleep(50);
  }
  const lines = stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `up --json prints exactly one line: ${stdout}`);
  const printed = JSON.parse(lines[0]!) as { error?: string; hint?: string };
  // A start-up refusal is one JSON line too: say what it was rather than how it fails the schema.
  if (printed.error) throw new UpStartError(`up refused to start: ${printed.error} (${printed.hint ?? ''})`);
  const info = upInfoSchema.parse(printed);
  if (info.sandboxUrl !== null && info.sandboxAdminTokenFile !== null) {
    sandboxTokenFiles.set(info.sandboxUrl, info.sandboxAdminTokenFile);
  }
  return {
    child,
    info,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async (timeoutMs = 20_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // `up` and what it started in its group (not its Temporal server)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * For `after`: SIGTERM to every child still running (the group of a detached `up`), then SIGKILL after a few
 * seconds to whatever is left.
 */
export async function killAll(graceMs = 5_000): Promise<void> {
  const running = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  if (running.length === 0) return killOrphanedTemporal();
  const exits = running.map(
    (c) =>
      new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once('exit', () => resolve()))),
  );
  for (const c of running) killGroup(c, 'SIGTERM');
  const timer = setTimeout(() => {
    for (const c of running) killGroup(c, 'SIGKILL');
  }, graceMs);
  await Promise.all(exits);
  clearTimeout(timer);
  await killOrphanedTemporal();
}

/** An `up` that had to be killed could not stop its Temporal server (a process group of its own). */
async function killOrphanedTemporal(): Promise<void> {
  for (const dir of upDataDirs) {
    for (const line of await processesMentioning(path.join(dir, 'temporal.db'))) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value (not undefined), or fails with the last seen value. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** PIDs of processes whose command line mentions `needle` (e.g. a Temporal server's --db-filename). */
export function processesMentioning(needle: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['-eo', 'pid=,args='], (error, stdout) => {
      if (error) return reject(new Error(`ps failed: ${error.message}`));
      resolve(
        stdout
          .split('\n')
          .filter((line) => line.includes(needle) && !line.includes('ps -eo'))
          .map((line) => line.trim()),
      );
    });
  });
}

// ---- the sandbox as seen over HTTP (GET /sandbox/state) ----

const sandboxUserSchema = z
  .object({
    id: z.number(),
    userid: z.string(),
    emailAddress: z.string(),
    apiOnly: z.boolean(),
    status: z.string(),
    expiresAt: z.string().nullable(),
    isLocked: z.boolean(),
    lockedReason: z.string().nullable(),
    userRoleWorkspaces: z.array(z.object({ accessRoleId: z.number(), workspaceId: z.number() })),
    services: z.array(z.string()),
  })
  .passthrough();
const sandboxStateSchema = z
  .object({
    mode: z.string(),
    roles: z.array(z.object({ id: z.number(), name: z.string() }).passthrough()),
    users: z.array(sandboxUserSchema),
    services: z.array(z.object({ clientId: z.string(), ownerEmail: z.string().nullable() }).passthrough()),
    counters: z.object({ forbiddenSandboxCalls: z.number() }).passthrough(),
  })
  .passthrough();
export type SandboxState = z.infer<typeof sandboxStateSchema>;
export type SandboxUser = z.infer<typeof sandboxUserSchema>;

/** What a `/sandbox/*` call to an `up`'s sandbox sends: its admin token from the file `up` wrote, and JSON. */
export function sandboxAdminHeaders(baseUrl: string): Record<string, string> {
  const file = sandboxTokenFiles.get(baseUrl);
  assert.ok(file, `no up started here has its sandbox at ${baseUrl}`);
  const token = fs.readFileSync(file, 'utf8').trim();
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

export async function sandboxState(baseUrl: string): Promise<SandboxState> {
  const response = await fetch(`${baseUrl}/sandbox/state`, { headers: sandboxAdminHeaders(baseUrl) });
  assert.equal(response.status, 200);
  return sandboxStateSchema.parse(await response.json());
}

export async function sandboxUser(baseUrl: string, email: string): Promise<SandboxUser | undefined> {
  const state = await sandboxState(baseUrl);
  return state.users.find((u) => u.emailAddress.toLowerCase() === email.toLowerCase());
}

// ---- what the commands print ----

export const onboardJsonSchema = z
  .object({
    workflowId: z.string().min(1),
    phase: z.string(),
    email: z.string(),
    roleId: z.number().nullable(),
    userId: z.string().nullable(),
    clientId: z.string().nullable(),
    expiresAt: z.string(),
    secretRef: z.string().nullable(),
    pendingOperatorAction: z
      .object({ step: z.string(), instructions: z.array(z.string()) })
      .passthrough()
      .nullable(),
    failure: z.unknown(),
    started: z.boolean(),
  })
  .strict();
export type OnboardJson = z.infer<typeof onboardJsonSchema>;

/** What `status --json`, `extend --json` and `revoke --json` print: exactly a lifecycle status, nothing more. */
/** A lifecycle status as `--json` prints it; `status` adds its last use from the usage ledger, `extend` does not. */
export const statusJsonSchema = lifecycleStatusSchema.extend(lastUsedSchema.partial().shape).strict();
export type StatusJson = z.infer<typeof statusJsonSchema>;

/** The audit events of an `audit --json` run: one JSON object a line, each checked against the event schema. */
export function auditEventsOf(run: CliRun): AuditEvent[] {
  return run.stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => auditEventSchema.parse(JSON.parse(line)));
}

export const errorJsonSchema = z
  .object({ error: z.string().min(1), problems: z.array(z.string()).optional(), hint: z.string().optional() })
  .strict();

/** The one JSON document a `--json` run prints on stdout. */
export function oneJson(run: CliRun): unknown {
  const lines = run.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `exactly one JSON line on stdout, got: ${run.stdout}\nstderr: ${run.stderr}`);
  return JSON.parse(lines[0]!) as unknown;
}

export function describeRun(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** The value after `label: ` in an operator instruction line. */
export function instructionValue(instructions: string[], label: string): string {
  const line = instructions.find((l) => l.startsWith(`${label}: `));
  assert.ok(line !== undefined, `no "${label}:" line in ${instructions.join(' | ')}`);
  return line.slice(label.length + 2);
}
