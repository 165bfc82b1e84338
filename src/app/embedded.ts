/**
 * The embedded default behind `up` and `demo`: a Temporal dev server persisting to SQLite in the data folder,
 * its Web UI, the Marketo sandbox (unless MARKETO_BASE_URL points at a real instance) and a worker, in one
 * process. Started again on the same folder it keeps everything: workflows, timers, sandbox data, the keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection, WorkflowClient } from '@temporalio/client';
import { upsertUsageSchedule, USAGE_SCHEDULE_ID, usageScheduleInputSchema } from '../usage-schedule';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import {
  EMBEDDED_INSTANCE_ID,
  writeStackFile,
  readStackFile,
  stackFilePath,
  type StackFile,
} from '../context';
import { ProblemError } from '../errors';
import type { MarketoClientOptions } from '../marketo/client';
import { hasMarketoEnv, loadMarketoConfig, type MarketoConfig } from '../marketo/config';
import { startSandbox, writeAdminTokenFile, type RunningSandbox } from '../sandbox';
import { createDataConverter } from '../security/data-converter';
import { loadOrCreateKeyFile, type Keyring } from '../security/keyring';
import { EncryptionCodec } from '../security/payload-codec';
import { startCodecServer, type RunningCodecServer } from '../codec-server/server';
import { ensurePrivateDir, tightenOwnFile, withUmask } from '../security/private-dir';
import { ensureTemporalCli, temporalServerEnv } from '../temporal-servers';
import { freePort, freePorts, portAnswers } from '../temporal-servers/local-ports';
import { instanceIdFor, loadAppConfig, type AppConfig } from './config';
import { chooseStackStore, startStackStore, type StackStore, type StoreChoice } from './embedded-store';
import { openStore } from '../store/open';
import type { Store } from '../store/types';
import { reencryptInBackground } from '../store/reencrypt';
import { buildActivityDeps } from './deps';
import { startLifecycleGauges } from './lifecycle-gauges';
import { createProductMetrics } from './product-metrics';
import { watchForOrphan } from './orphan-watchdog';
import { isProcessRunning } from './process-liveness';
import { createWorkers, marketoQueueBudget, type MarketoQueueBudget } from './worker';
import { devServerFlags } from '../temporal-servers/dev-server-flags';

export interface EmbeddedOptions {
  dataDir: string;
  /** Default 7233. */
  temporalPort?: number;
  /** Default 8233. */
  uiPort?: number;
  /** Default 3070; ignored when a real Marketo instance is configured. */
  sandboxPort?: number;
  taskQueue?: string;
  /** Serve Prometheus metrics (the SDK's and the product's) on 127.0.0.1 at this port; none by default. */
  metricsPort?: number;
  /** Where secrets, first sightings and the audit log go without a database URL; default `embedded`. */
  store?: StoreChoice;
  env?: NodeJS.ProcessEnv;
  /** Progress lines for a person; the stack itself never writes to stdout. */
  log?: (line: string) => void;
}

export interface EmbeddedStack {
  dataDir: string;
  temporalAddress: string;
  uiUrl: string;
  /** The codec server the Web UI decodes payloads with (loopback, the UI's origin only). */
  codecEndpoint: string;
  /** Set when the embedded sandbox runs. */
  sandbox: RunningSandbox | undefined;
  marketoBaseUrl: string;
  notificationsFile: string;
  stack: StackFile;
  /** Settles if the Temporal dev server exits before stop(): `up` cannot go on without it. */
  temporalExited: Promise<string>;
  stop(): Promise<void>;
}

export { freePort, freePorts };

/** The stack could not start; `problem` says what is wrong, `hint` what to do. */
export class EmbeddedStartError extends ProblemError {
  override readonly name = 'EmbeddedStartError';
}

/** Two `up`s on one folder would share one SQLite file, one sandbox state and one stack.json: refuse the second. */
function refuseSecondUp(dataDir: string): void {
  const running = readStackFile(dataDir);
  if (running && running.pid !== process.pid && isProcessRunning(running.pid)) {
    throw new EmbeddedStartError(
      `Another \`up\` (pid ${running.pid}) is already running on ${dataDir}, with Temporal at ${running.temporalAddress}.`,
      'Use that one (other commands find it through this folder), stop it with Ctrl-C or `kill ' +
        running.pid +
        '`, or start this one with another --data-dir.',
    );
  }
}

const TEMPORAL_PID_FILE = 'temporal.pid';
/** The embedded sandbox's admin token (0600), for a person or a test calling its `/sandbox/*` endpoints. */
export const SANDBOX_ADMIN_TOKEN_FILE = 'sandbox-admin-token';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The command line of a process, or undefined where it is gone (or there is no /proc to read it from). */
function commandLineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * The dev server runs in a process group of its own, so an `up` killed with SIGKILL leaves it running, holding
 * the port and the SQLite file. The next `up` on the folder stops it, having checked that no `up` runs there
 * (refuseSecondUp) and that the recorded pid still names this folder's database (a pid may be reused).
 */
async function stopTemporalLeftBehind(dataDir: string, log: (line: string) => void): Promise<void> {
  const file = path.join(dataDir, TEMPORAL_PID_FILE);
  if (!fs.existsSync(file)) return;
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  const database = path.join(dataDir, 'temporal.db');
  const ours = () => Number.isInteger(pid) && pid > 1 && !!commandLineOf(pid)?.includes(database);
  if (ours()) {
    log(`stopping the Temporal dev server (pid ${pid}) that an \`up\` killed earlier left running`);
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; ours() && waited < 10_000; waited += 100) await sleep(100);
    if (ours()) process.kill(pid, 'SIGKILL');
    for (let waited = 0; ours() && waited < 5_000; waited += 100) await sleep(100);
  }
  fs.rmSync(file, { force: true });
}

/** The real instance's settings as `up`'s client and worker use them: MARKETO_BUDGET_* and MARKETO_TIMEOUT_MS. */
export function realMarketoSettings(config: MarketoConfig): {
  client: MarketoClientOptions;
  marketoBudget: MarketoQueueBudget | undefined;
} {
  return { client: config, marketoBudget: marketoQueueBudget(config) };
}

/** Starts `temporal server start-dev` with SQLite in the data folder; its output goes to a log file there. */
async function startTemporalDevServer(
  dataDir: string,
  ports: { temporal: number; ui: number },
  codecEndpoint: string,
  env: NodeJS.ProcessEnv,
): Promise<ChildProcess> {
  const port = ports.temporal;
  if (await portAnswers(port)) {
    throw new EmbeddedStartError(
      `Port ${port} is taken, so the Temporal dev server cannot listen on it.`,
      'Stop whatever uses it (another `up`?), or choose another port with --port.',
    );
  }
  const cli = ensureTemporalCli(env);
  if (cli.kind !== 'existing-path') {
    throw new EmbeddedStartError(
      `No Temporal CLI to run the dev server: ${cli.reason}.`,
      'Install Go and run `npm run setup` (it builds and caches one), put `temporal` on PATH, or set TEMPORAL_CLI_PATH.',
    );
  }
  const logFile = fs.openSync(path.join(dataDir, 'temporal.log'), 'a', 0o600);
  // The server creates temporal.db and its journal files with its umask: 077 keeps them 0600.
  const child = withUmask(0o077, () =>
    spawn(
      cli.path,
      [
        'server',
        'start-dev',
        '--db-filename',
        path.join(dataDir, 'temporal.db'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--ui-port',
        String(ports.ui),
        '--ui-codec-endpoint',
        codecEndpoint,
        '--namespace',
        'default',
        '--log-level',
        'warn',
        ...devServerFlags(),
      ],
      // Its own process group: a terminal's Ctrl-C reaches only `up`, which stops this after the worker drained.
      { stdio: ['ignore', logFile, logFile], env: temporalServerEnv(env), detached: true },
    ),
  );
  fs.closeSync(logFile);
  const started = Date.now();
  while (!(await portAnswers(port))) {
    if (child.exitCode !== null) {
      throw new EmbeddedStartError(
        `The Temporal dev server exited with ${child.exitCode} while starting.`,
        `See ${path.join(dataDir, 'temporal.log')}.`,
      );
    }
    if (Date.now() - started > 60_000) {
      child.kill('SIGKILL');
      throw new EmbeddedStartError(
        'The Temporal dev server did not answer within 60 s.',
        `See ${path.join(dataDir, 'temporal.log')}; a loaded machine may need another try.`,
      );
    }
    await sleep(100);
  }
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The data folder holds the Temporal database and log, the keys and the sandbox's state: this user's only.
 * A folder others can write to is refused (UnsafeDirectoryError); files of an earlier `up` are tightened.
 */
function prepareDataDir(dataDir: string, log: (line: string) => void): void {
  const outcome = ensurePrivateDir(dataDir, {
    what: 'data folder',
    elsewhere: '--data-dir',
    tightenExisting: true,
  });
  if (outcome === 'tightened') log(`made the data folder ${dataDir} private (0700)`);
  if (outcome === 'left-open') {
    log(
      `warning: ${dataDir} links to a folder others can read; it is left as it is, \`chmod 700\` it if that is not meant`,
    );
  }
  for (const name of [
    'temporal.db',
    'temporal.db-wal',
    'temporal.db-shm',
    'temporal.db-journal',
    'temporal.log',
  ]) {
    tightenOwnFile(path.join(dataDir, name));
  }
}

/** The SDK logs every worker state change at INFO; a command's stderr is for the person running it. */
/** Quiet SDK logs, and the Prometheus endpoint when asked for (the SDK's metrics and the product's). */
function installRuntime(metricsPort: number | undefined): void {
  try {
    Runtime.install({
      // ERROR: a worker polling only activities warns that it has no workflows, which is the design here.
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: {
        logging: { filter: { core: 'WARN', other: 'ERROR' } },
        ...(metricsPort === undefined
          ? {}
          : { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } }),
      },
    });
  } catch (error) {
    // Already installed by the host (tests, a service embedding us): keep its choice, unless metrics were asked for.
    if (metricsPort === undefined) return;
    throw new EmbeddedStartError(
      `The Prometheus endpoint on 127.0.0.1:${metricsPort} could not be set up (${(error as Error).message}).`,
      'Choose another --metrics-port, or leave it out where the process installs its own Temporal runtime.',
    );
  }
}

/** Cleanups run newest first when the stack stops or fails half-way. */
type Cleanups = (() => Promise<void>)[];

interface MarketoSide {
  sandbox: RunningSandbox | undefined;
  client: MarketoClientOptions;
  budget: MarketoQueueBudget | undefined;
}

/** The real instance when MARKETO_* says so, else the sandbox in automatic mode with its admin token file. */
async function startMarketoSide(
  options: EmbeddedOptions,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  cleanups: Cleanups,
): Promise<MarketoSide> {
  if (hasMarketoEnv(env)) {
    const settings = realMarketoSettings(loadMarketoConfig(env));
    return {
      sandbox: undefined,
      client: settings.client,
      budget: settings.marketoBudget,
    };
  }
  const sandbox = await startSandbox({
    port: options.sandboxPort ?? 3070,
    stateFile: path.join(dataDir, 'sandbox.json'),
    mode: 'automatic',
    env,
  });
  cleanups.push(() => sandbox.close());
  const tokenFile = path.join(dataDir, SANDBOX_ADMIN_TOKEN_FILE);
  writeAdminTokenFile(tokenFile, sandbox.adminToken);
  cleanups.push(() => Promise.resolve(fs.rmSync(tokenFile, { force: true })));
  const client = {
    baseUrl: sandbox.baseUrl,
    clientId: sandbox.adminClientId,
    clientSecret: sandbox.adminClientSecret,
  };
  return { sandbox, client, budget: undefined };
}

/** The product's workers on the embedded server, built by the one composition root. */
async function startEmbeddedWorkers(
  options: EmbeddedOptions,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  temporalAddress: string,
  marketo: MarketoSide,
  stackStore: StackStore,
  keyring: Keyring,
  cleanups: Cleanups,
): Promise<{ taskQueue: string; instanceId: string; notificationsFile: string }> {
  const config = loadAppConfig({
    ...env,
    MARKETO_API_USERS_DATA_DIR: dataDir,
    MARKETO_API_USERS_DATABASE_URL: stackStore.databaseUrl,
    MARKETO_API_USERS_TASK_QUEUE: options.taskQueue ?? env.MARKETO_API_USERS_TASK_QUEUE,
    // The embedded sandbox runs in automatic mode; a real instance's roles and services are operator steps.
    MARKETO_ADMIN_CONSOLE: marketo.sandbox ? 'sandbox' : 'operator',
    MARKETO_SANDBOX_ADMIN_TOKEN: marketo.sandbox?.adminToken,
  });
  const instanceId = marketo.sandbox
    ? EMBEDDED_INSTANCE_ID
    : instanceIdFor(config.instanceId, marketo.client.baseUrl);
  const connection = await NativeConnection.connect({ address: temporalAddress });
  cleanups.push(() => connection.close());
  const dataConverter = createDataConverter(keyring);
  const clientConnection = await Connection.connect({ address: temporalAddress });
  cleanups.push(() => clientConnection.close());
  const workflowClient = new WorkflowClient({ connection: clientConnection, dataConverter });
  const log = options.log ?? (() => {});
  const store = await openWorkerStore(config, keyring, log, cleanups);
  const notificationsFile = path.join(dataDir, 'notifications.log');
  const notificationStream = fs.createWriteStream(notificationsFile, { flags: 'a', mode: 0o600 });
  cleanups.push(() => new Promise<void>((resolve) => notificationStream.end(() => resolve())));
  const workers = await createWorkers({
    connection,
    taskQueue: config.taskQueue,
    dataConverter,
    deps: buildActivityDeps(
      {
        config,
        marketo: marketo.client,
        keyring,
        instanceId,
        workflowClient,
        store,
        metrics: createProductMetrics(Runtime.instance().metricMeter, { budget: marketo.budget }),
      },
      // Notifications go to a log file in the data folder (stdout stays for the command's own output).
      { notificationStream },
    ),
    ...(marketo.budget ? { marketoBudget: marketo.budget } : {}),
  });
  if (options.metricsPort !== undefined) {
    const gauges = startLifecycleGauges(workflowClient, Runtime.instance().metricMeter, {
      onError: (error) => log(`lifecycle gauges not refreshed: ${(error as Error).message}`),
    });
    cleanups.push(() => gauges.stop());
  }
  runUntilCleanup(workers.all, cleanups);
  await ensureUsageSchedule(
    new Client({ connection: clientConnection, dataConverter }),
    config.taskQueue,
    log,
  );
  return { taskQueue: config.taskQueue, instanceId, notificationsFile };
}

/**
 * The daily usage collector, so that `status` and `list` learn last use without a step of the user's. An
 * existing schedule keeps the time it was given; a failure is logged, never a reason for `up` to stop.
 */
async function ensureUsageSchedule(
  client: Client,
  taskQueue: string,
  log: (line: string) => void,
): Promise<void> {
  try {
    const existing = await client.schedule
      .getHandle(USAGE_SCHEDULE_ID)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (existing) return;
    const scheduled = await upsertUsageSchedule(client, taskQueue, usageScheduleInputSchema.parse({}));
    log(`usage collector scheduled daily at ${scheduled.at} ${scheduled.timezone}`);
  } catch (error) {
    log(`usage collector not scheduled (${(error as Error).message}); run \`schedule-usage\` later`);
  }
}

/** The store the workers use, re-encrypting under a new key in the background; closed on the way out. */
async function openWorkerStore(
  config: AppConfig,
  keyring: Keyring,
  log: (line: string) => void,
  cleanups: Cleanups,
): Promise<Store> {
  const store = await openStore(config, keyring);
  const reencrypting = reencryptInBackground(store, { info: log, warn: log });
  cleanups.push(async () => {
    await reencrypting;
    await store.close();
  });
  return store;
}

/** Runs the workers; on the way out each drains what it has started. */
function runUntilCleanup(workers: Worker[], cleanups: Cleanups): void {
  const running = workers.map((w) => w.run());
  cleanups.push(async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
  });
}

/**
 * The Web UI's codec server, on a free loopback port, for the UI's own origin (as 127.0.0.1 and as localhost,
 * the two names a person opens it by). It starts before the dev server, which is told its address. It only
 * decodes: it has no token (the UI could not send one), so another user's process on this machine could call it,
 * and /encode would hand that process payloads the worker accepts, which the 0600 key file otherwise prevents.
 */
async function startEmbeddedCodecServer(
  keyring: Keyring,
  uiPort: number,
  cleanups: Cleanups,
): Promise<RunningCodecServer> {
  const server = await startCodecServer({
    codec: new EncryptionCodec(keyring),
    origins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
    encode: false,
  });
  cleanups.push(() => server.close());
  return server;
}

/** Starts the dev server, records its pid for the next up, and resolves `exited` if it dies while not stopping. */
async function startEmbeddedTemporal(
  dataDir: string,
  ports: { temporal: number; ui: number },
  codecEndpoint: string,
  env: NodeJS.ProcessEnv,
  cleanups: Cleanups,
  isStopping: () => boolean,
): Promise<{ exited: Promise<string> }> {
  const temporal = await startTemporalDevServer(dataDir, ports, codecEndpoint, env);
  const exited = new Promise<string>((resolve) =>
    temporal.once('exit', (code, signal) => {
      if (!isStopping()) resolve(`exit code ${code ?? '-'}${signal ? `, signal ${signal}` : ''}`);
    }),
  );
  fs.writeFileSync(path.join(dataDir, TEMPORAL_PID_FILE), `${temporal.pid}\n`, { mode: 0o600 });
  const watchdog = watchForOrphan(temporal.pid!, path.join(dataDir, 'temporal.db'));
  cleanups.push(async () => {
    await stopChild(temporal);
    watchdog.disarm();
    fs.rmSync(path.join(dataDir, TEMPORAL_PID_FILE), { force: true });
  });
  return { exited };
}

/** stack.json: how the folder's other commands find this stack and its store; removed when it stops. */
function recordStack(
  dataDir: string,
  cleanups: Cleanups,
  parts: {
    temporalAddress: string;
    uiUrl: string;
    marketo: MarketoSide;
    worker: { instanceId: string; taskQueue: string };
    store: StackStore;
  },
): StackFile {
  const { marketo, worker, store } = parts;
  const stack: StackFile = {
    temporalAddress: parts.temporalAddress,
    namespace: 'default',
    uiUrl: parts.uiUrl,
    ...(marketo.sandbox ? { sandboxUrl: marketo.sandbox.baseUrl } : {}),
    marketoBaseUrl: marketo.client.baseUrl,
    instanceId: worker.instanceId,
    taskQueue: worker.taskQueue,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    store: store.kind,
    // Only the embedded database's socket URL: a configured server's URL may carry a password.
    ...(store.kind === 'embedded' ? { databaseUrl: store.databaseUrl } : {}),
  };
  writeStackFile(dataDir, stack);
  cleanups.push(() => Promise.resolve(fs.rmSync(stackFilePath(dataDir), { force: true })));
  return stack;
}

/** Everything of the stack but its stop: the store, the codec server, Temporal, Marketo, the workers, stack.json. */
async function startStackParts(
  options: EmbeddedOptions,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  cleanups: Cleanups,
  isStopping: () => boolean,
): Promise<Omit<EmbeddedStack, 'stop'>> {
  const log = options.log ?? (() => {});
  const ports = { temporal: options.temporalPort ?? 7233, ui: options.uiPort ?? 8233 };
  // The embedded database starts while the Temporal server does: neither waits for the other.
  const storeStarting = startStackStore(chooseStackStore(dataDir, options.store, env), dataDir, env);
  const storeStarted = storeStarting.catch(() => undefined); // its failure is thrown where it is awaited below
  cleanups.push(async () => (await storeStarted)?.stop());
  const keyring = await loadOrCreateKeyFile(path.join(dataDir, 'keys.json'), env);
  const codec = await startEmbeddedCodecServer(keyring, ports.ui, cleanups);
  log(`starting the Temporal dev server on 127.0.0.1:${ports.temporal} (SQLite in ${dataDir})`);
  const { exited: temporalExited } = await startEmbeddedTemporal(
    dataDir,
    ports,
    codec.url,
    env,
    cleanups,
    isStopping,
  );
  const temporalAddress = `127.0.0.1:${ports.temporal}`;
  const marketo = await startMarketoSide(options, dataDir, env, cleanups);
  log(
    marketo.sandbox
      ? `Marketo sandbox on ${marketo.client.baseUrl}`
      : `using the real Marketo instance at ${marketo.client.baseUrl}`,
  );
  const store = await storeStarting;
  if (store.kind === 'embedded') log(`embedded database in ${dataDir}`);
  const worker = await startEmbeddedWorkers(
    options,
    dataDir,
    env,
    temporalAddress,
    marketo,
    store,
    keyring,
    cleanups,
  );
  log('worker polling');
  const uiUrl = `http://127.0.0.1:${ports.ui}`;
  const stack = recordStack(dataDir, cleanups, { temporalAddress, uiUrl, marketo, worker, store });
  return {
    dataDir,
    temporalAddress,
    uiUrl,
    codecEndpoint: codec.url,
    sandbox: marketo.sandbox,
    marketoBaseUrl: marketo.client.baseUrl,
    notificationsFile: worker.notificationsFile,
    stack,
    temporalExited,
  };
}

export async function startEmbeddedStack(options: EmbeddedOptions): Promise<EmbeddedStack> {
  const env = options.env ?? process.env;
  installRuntime(options.metricsPort);
  const dataDir = path.resolve(options.dataDir);
  prepareDataDir(dataDir, options.log ?? (() => {}));
  refuseSecondUp(dataDir);
  await stopTemporalLeftBehind(dataDir, options.log ?? (() => {}));
  const cleanups: Cleanups = [];
  let stopping: Promise<void> | undefined;
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const parts = await startStackParts(options, dataDir, env, cleanups, () => !!stopping);
    return { ...parts, stop: () => (stopping ??= undo()) };
  } catch (error) {
    await undo();
    throw error;
  }
}
