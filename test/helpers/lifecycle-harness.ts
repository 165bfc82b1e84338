import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowClient } from '@temporalio/client';
import { after, before } from 'node:test';
import { TimeSkippingWorkflowClient, type TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundle } from '@temporalio/worker';
import type { LifecycleRequestInput } from '../../src/domain/lifecycle-request';
import { loadAppConfig } from '../../src/app/config';
import { buildActivityDeps, workflowIds } from '../../src/app/deps';
import { bundleLifecycleWorkflows, createWorkers, type LifecycleWorkerOptions } from '../../src/app/worker';
import type { MarketoClient, MarketoClientOptions } from '../../src/marketo/client';
import type { LifecycleNotification, Notifier } from '../../src/notifications';
import { createDataConverter } from '../../src/security/data-converter';
import { loadOrCreateKeyFile, type Keyring } from '../../src/security/keyring';
import { FileSecretStore } from '../../src/security/secret-store';
import { instanceIdFromBaseUrl } from '../../src/security/workflow-id';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../src/sandbox';
import type { ActivityDeps } from '../../src/activities';
import type { LifecycleWorkflowInput } from '../../src/workflows/lifecycle-input';
import { lifecycleWorkflow } from '../../src/workflows';
import { startDevServer, startTimeSkippingServer } from './temporal-env';

export class RecordingNotifier implements Notifier {
  readonly events: LifecycleNotification[] = [];
  notify(event: LifecycleNotification): Promise<void> {
    this.events.push(event);
    return Promise.resolve();
  }
  of(kind: LifecycleNotification['kind'], workflowId?: string): LifecycleNotification[] {
    return this.events.filter((e) => e.kind === kind && (!workflowId || e.workflowId === workflowId));
  }
}

let bundle: Promise<WorkflowBundle> | undefined;
/** One bundle per test process: bundling is the slow part of a worker's start. */
export function sharedBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleLifecycleWorkflows();
  return bundle;
}

export interface Harness {
  sandbox: RunningSandbox;
  /** The orchestrator's own Marketo client, for tests that act as a person in Marketo. */
  marketo: MarketoClient;
  client: WorkflowClient;
  /** The dependencies the harness's workers get; tests that alter one start from these. */
  deps: ActivityDeps;
  keyring: Keyring;
  notifier: RecordingNotifier;
  secrets: FileSecretStore;
  dataDir: string;
  taskQueue: string;
  workflowIdFor(email: string): string;
  /** Of the harness's workflow-id key, as its workers and its starts use it. */
  workflowIdKeyFingerprint: string;
  /** The product's workers on the harness's queue, with its deps unless `extra` says otherwise. */
  startWorkers(extra?: Partial<LifecycleWorkerOptions>): Promise<Worker[]>;
  /** Runs `body` with workers polling (the harness's, or as `extra` says); stops them after. */
  withWorkers<T>(body: () => Promise<T>, extra?: Partial<LifecycleWorkerOptions>): Promise<T>;
  start(request: LifecycleRequestInput, extra?: Partial<LifecycleWorkflowInput>): Promise<string>;
  close(): Promise<void>;
}

let queueCounter = 0;

export interface HarnessOptions {
  sandbox?: SandboxOptions;
  console?: 'sandbox' | 'operator';
}

export async function createHarness(
  env: TestWorkflowEnvironment,
  options: HarnessOptions = {},
): Promise<Harness> {
  const sandbox = await startSandbox({ port: 0, ...options.sandbox });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mau-test-'));
  const keyring = await loadOrCreateKeyFile(path.join(dataDir, 'keys.json'));
  const dataConverter = createDataConverter(keyring);
  const client = new WorkflowClient({ connection: env.connection, dataConverter });
  const notifier = new RecordingNotifier();
  const secrets = new FileSecretStore(path.join(dataDir, 'secrets'));
  const taskQueue = `lifecycle-${process.pid}-${++queueCounter}`;
  const config = loadAppConfig({
    ...process.env,
    MARKETO_API_USERS_DATA_DIR: dataDir,
    MARKETO_API_USERS_SECRET_DIR: path.join(dataDir, 'secrets'),
    MARKETO_API_USERS_TASK_QUEUE: taskQueue,
    MARKETO_ADMIN_CONSOLE: options.console ?? (sandbox.mode === 'real-like' ? 'operator' : 'sandbox'),
    MARKETO_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
  });
  const instanceId = instanceIdFromBaseUrl(sandbox.baseUrl);
  const { workflowIdFor, workflowIdKeyFingerprint: fingerprint } = workflowIds(
    keyring,
    instanceId,
    config.env,
  );
  const marketoOptions: MarketoClientOptions = {
    baseUrl: sandbox.baseUrl,
    clientId: sandbox.adminClientId,
    clientSecret: sandbox.adminClientSecret,
    budget: 'unlimited',
  };
  const deps = buildActivityDeps(
    { config, marketo: marketoOptions, keyring, instanceId, workflowClient: client },
    // The harness's own store and notifier: tests read what the workers did through them.
    { secrets, notifier },
  );
  const marketo = deps.marketo;
  const startWorkers = async (extra: Partial<LifecycleWorkerOptions> = {}) =>
    (
      await createWorkers({
        connection: env.nativeConnection,
        taskQueue,
        dataConverter,
        workflowBundle: await sharedBundle(),
        deps,
        ...extra,
      })
    ).all;

  return {
    sandbox,
    marketo,
    client,
    deps,
    keyring,
    notifier,
    secrets,
    dataDir,
    taskQueue,
    workflowIdFor,
    workflowIdKeyFingerprint: fingerprint,
    startWorkers,
    async withWorkers(body, extra = {}) {
      const workers = await startWorkers(extra);
      const running = workers.map((w) => w.run());
      try {
        return await body();
      } finally {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.all(running);
      }
    },
    async start(request, extra = {}) {
      const workflowId = workflowIdFor(request.email);
      await client.start(lifecycleWorkflow, {
        taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [{ request, workflowIdKeyFingerprint: fingerprint, ...extra }],
      });
      return workflowId;
    },
    async close() {
      await sandbox.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a block may add to its set-up, on the same server and closed with it. */
export interface HarnessBlock {
  /** Another harness (its own sandbox, data folder and queue), closed with the first. */
  another: (options?: HarnessOptions) => Promise<Harness>;
  /** Stops what the block's set-up started besides harnesses; runs (last first) while the server is up. */
  onClose: (stop: () => unknown) => void;
}

/**
 * For a describe block: a dev server and one harness on it (with `options`), started before its tests and
 * closed after them. `ready` receives both, so the block keeps plain `env` and `h` variables; it may do more
 * set-up (async) through `block`. Whatever it registered is stopped even if the set-up failed half-way.
 */
export function withDevServerHarness(ready: HarnessReady, options: HarnessOptions = {}): void {
  withServerHarness(startDevServer, ready, options);
}

/** A client of the harness's keys that unlocks time skipping while it waits for a result (the plain one does not). */
export function timeSkippingClient(env: TestWorkflowEnvironment, h: Harness): TimeSkippingWorkflowClient {
  return new TimeSkippingWorkflowClient({
    connection: env.connection,
    dataConverter: createDataConverter(h.keyring),
  });
}

/** The same on the time-skipping server: its timers complete as soon as every workflow is waiting. */
export function withTimeSkippingHarness(ready: HarnessReady, options: HarnessOptions = {}): void {
  withServerHarness(startTimeSkippingServer, ready, options);
}

export type HarnessReady = (
  env: TestWorkflowEnvironment,
  h: Harness,
  block: HarnessBlock,
) => void | Promise<void>;

function withServerHarness(
  startServer: () => Promise<TestWorkflowEnvironment>,
  ready: HarnessReady,
  options: HarnessOptions,
): void {
  let env: TestWorkflowEnvironment | undefined;
  const harnesses: Harness[] = [];
  const stops: (() => unknown)[] = [];
  const block: HarnessBlock = {
    another: async (more = {}) => {
      if (!env) throw new Error('another harness needs the server: ask for it from ready or a test');
      const h = await createHarness(env, more);
      harnesses.push(h);
      return h;
    },
    onClose: (stop) => void stops.push(stop),
  };
  before(async () => {
    env = await startServer();
    await ready(env, await block.another(options), block);
  });
  after(async () => {
    try {
      for (const stop of stops.reverse()) await stop();
    } finally {
      for (const h of harnesses) await h.close();
      await env?.teardown();
    }
  });
}

export function sampleRequest(overrides: Partial<LifecycleRequestInput> = {}): LifecycleRequestInput {
  return {
    email: `svc-${Math.random().toString(36).slice(2, 10)}@example.com`,
    firstName: 'Ada',
    lastName: 'Integration',
    role: {
      name: 'Integration Read-Only',
      permissions: ['Read-Only Lead', 'Read-Only Activity'],
      workspace: 0,
    },
    reason: 'CRM sync',
    // Beyond the longest default reminder lead (30d): every reminder, and the drift check before it, lies weeks
    // ahead unless a test asks for one.
    expiresAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    ...overrides,
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Temporal wraps the reason (a validator's error, a workflow's failure) in `cause`: match the whole chain. */
export function messageChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message);
  return parts.join(' <- ');
}

export async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const chain = messageChain(error);
    if (!pattern.test(chain)) throw new Error(`expected a failure matching ${pattern}, got: ${chain}`);
    return;
  }
  throw new Error(`expected a failure matching ${pattern}, but it succeeded`);
}
