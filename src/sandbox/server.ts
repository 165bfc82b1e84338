import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { handleSandboxRequest, refusesSandboxCall, SANDBOX_PREFIX } from './admin-endpoints';
import { AdminGuard, generateAdminToken, isLoopbackHost } from './admin-guard';
import { bump, emptyCounters } from './counters';
import { faultConfigSchema, FaultInjector, type FaultConfig } from './faults';
import {
  ApiError,
  errorBody,
  MAX_BODY_BYTES,
  parseJsonBody,
  readBody,
  RequestAborted,
  sendAnswer,
  sendRaw,
  sleep,
  splitTarget,
  type Answer,
} from './http';
import { authenticate, expireEarly, issueToken } from './identity';
import { InstanceLimits, rateLimitMessage } from './limits';
import type { SandboxMode } from './model';
import { SandboxOperator, type SandboxRuntime, type SandboxSnapshot } from './operator';
import { loadStateFile, StateFileWriter } from './persistence';
import { generateClientId, generateClientSecret, SandboxStore } from './state';
import { UsageLedger } from './usage';
import { matchStatsRoute, STATS_PREFIX, statsFailure, statsSuccess } from './usage-endpoints';
import { matchUserManagementRoute, USER_MANAGEMENT_PREFIX, UserManagementApi } from './user-management';

export const IDENTITY_PATH = '/identity/oauth/token';

const positiveInt = z.number().int().positive();
const adminTokenSchema = z
  .string()
  .min(24, 'the sandbox admin token must be at least 24 characters (it guards the admin endpoints)')
  .max(512)
  .regex(/^[\x21-\x7e]+$/, 'the sandbox admin token must be printable ASCII without spaces');

/** Marketo's instance-wide rate limit; `main.ts` fills in whichever half the environment leaves out. */
export const DEFAULT_RATE_LIMIT = { calls: 100, windowMs: 20_000 } as const;

const sandboxOptionsSchema = z.object({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  mode: z.enum(['automatic', 'real-like']).optional(),
  tokenLifetimeSeconds: positiveInt.default(3600),
  rateLimit: z.object({ calls: positiveInt, windowMs: positiveInt }).default(DEFAULT_RATE_LIMIT),
  maxConcurrent: positiveInt.default(10),
  dailyQuota: positiveInt.default(50_000),
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  stateFile: z.string().min(1).optional(),
  adminClientId: z.string().min(1).max(512).optional(),
  adminClientSecret: z.string().min(1).max(512).optional(),
  adminToken: adminTokenSchema.optional(),
  seedUsers: z.number().int().min(0).max(20_000).default(0),
  faultSeed: z.number().int().optional(),
  faults: faultConfigSchema.optional(),
  pod: z
    .string()
    .regex(/^[a-z0-9]{2,8}$/)
    .default('sbx'),
  maxBodyBytes: positiveInt.default(MAX_BODY_BYTES),
});

const envSchema = z.object({
  MARKETO_SANDBOX_MODE: z.enum(['automatic', 'real-like']).optional(),
  MARKETO_SANDBOX_ADMIN_CLIENT_ID: z.string().min(1).optional(),
  MARKETO_SANDBOX_ADMIN_CLIENT_SECRET: z.string().min(1).optional(),
  MARKETO_SANDBOX_ADMIN_TOKEN: adminTokenSchema.optional(),
});

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default from MARKETO_SANDBOX_MODE, else 'automatic'. */
  mode?: SandboxMode;
  /** Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Default 100 calls per 20 000 ms (sliding window). */
  rateLimit?: { calls: number; windowMs: number };
  /** Default 10. */
  maxConcurrent?: number;
  /** Default 50 000 calls per US-Central day. */
  dailyQuota?: number;
  /** Latency added to every identity and User Management request. Default 0. */
  latencyMs?: number;
  /** JSON file the state is loaded from at start and written to (atomically) after changes and on close. */
  stateFile?: string;
  /** Default from MARKETO_SANDBOX_ADMIN_CLIENT_ID / _SECRET, else the state file, else generated. */
  adminClientId?: string;
  adminClientSecret?: string;
  /**
   * Bearer token every `/sandbox/*` request must send. Default from MARKETO_SANDBOX_ADMIN_TOKEN, else random
   * for this start (read it back from `RunningSandbox.adminToken`). Never persisted.
   */
  adminToken?: string;
  /** Where the loud warning about a non-loopback bind goes. Default stderr. */
  warn?: (line: string) => void;
  /** The sandbox clock (epoch ms). Default Date.now. Timers for latency always use real time. */
  now?: () => number;
  /** Extra hand-made API-only users seeded into a fresh state (ignored when a state file is loaded). */
  seedUsers?: number;
  /** Seed of the fault sequence. Default random; read it back from the snapshot to replay a run. */
  faultSeed?: number;
  /** Faults switched on from the start. */
  faults?: FaultConfig;
  /** Pod suffix of access tokens (`<uuid>:<pod>`). Default 'sbx'. */
  pod?: string;
  /** Default 1 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /** One line per request (method, path without query, status, duration); never secrets or tokens. */
  log?: (line: string) => void;
  /** Environment to read MARKETO_SANDBOX_* from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningSandbox {
  /** e.g. `http://127.0.0.1:53124`, no trailing slash. */
  readonly baseUrl: string;
  readonly port: number;
  readonly mode: SandboxMode;
  /** Credentials of the seeded orchestrator's custom service (holds "API User Management"). */
  readonly adminClientId: string;
  readonly adminClientSecret: string;
  /** What `/sandbox/*` requests send as `Authorization: Bearer <adminToken>`. */
  readonly adminToken: string;
  readonly stateFile: string | undefined;
  /** In-process equivalents of the `/sandbox/*` endpoints; no token or operator header needed. */
  readonly operator: SandboxOperator;
  /** A fresh snapshot on every read, the same as `GET /sandbox/state`. */
  readonly state: SandboxSnapshot;
  snapshot(): SandboxSnapshot;
  /** Writes the state file now (when there is one). */
  flush(): Promise<void>;
  /** Stops listening, cuts open connections, writes the state file. */
  close(): Promise<void>;
}

type SandboxSettings = z.infer<typeof sandboxOptionsSchema>;

/** Explicit options win over MARKETO_SANDBOX_* variables, which win over fresh random values. */
function resolveIdentity(settings: SandboxSettings, env: NodeJS.ProcessEnv) {
  const fromEnv = envSchema.parse({
    MARKETO_SANDBOX_MODE: env.MARKETO_SANDBOX_MODE || undefined,
    MARKETO_SANDBOX_ADMIN_CLIENT_ID: env.MARKETO_SANDBOX_ADMIN_CLIENT_ID || undefined,
    MARKETO_SANDBOX_ADMIN_CLIENT_SECRET: env.MARKETO_SANDBOX_ADMIN_CLIENT_SECRET || undefined,
    MARKETO_SANDBOX_ADMIN_TOKEN: env.MARKETO_SANDBOX_ADMIN_TOKEN || undefined,
  });
  return {
    adminToken: settings.adminToken ?? fromEnv.MARKETO_SANDBOX_ADMIN_TOKEN ?? generateAdminToken(),
    mode: settings.mode ?? fromEnv.MARKETO_SANDBOX_MODE ?? 'automatic',
    explicitAdmin: explicitAdminCredentials(
      settings.adminClientId ?? fromEnv.MARKETO_SANDBOX_ADMIN_CLIENT_ID,
      settings.adminClientSecret ?? fromEnv.MARKETO_SANDBOX_ADMIN_CLIENT_SECRET,
    ),
  };
}

/** The state file's store when there is one (explicit admin credentials replace its own), else a fresh seed. */
function loadOrSeed(
  store: SandboxStore,
  settings: SandboxSettings,
  explicitAdmin: { clientId: string; clientSecret: string } | undefined,
): boolean {
  const persisted = settings.stateFile === undefined ? undefined : loadStateFile(settings.stateFile);
  if (persisted) {
    store.loadPersisted(persisted);
    if (explicitAdmin) store.replaceAdminCredentials(explicitAdmin.clientId, explicitAdmin.clientSecret);
    return true;
  }
  store.seedFresh(
    explicitAdmin?.clientId ?? generateClientId(),
    explicitAdmin?.clientSecret ?? generateClientSecret(),
  );
  return false;
}

function newRuntime(store: SandboxStore, settings: SandboxSettings, mode: SandboxMode, now: () => number) {
  const faults = new FaultInjector(settings.faultSeed ?? randomInt(0, 2 ** 31));
  if (settings.faults) faults.configure(settings.faults);
  const limits = new InstanceLimits(
    { rateLimit: settings.rateLimit, maxConcurrent: settings.maxConcurrent, dailyQuota: settings.dailyQuota },
    now,
  );
  const usage = new UsageLedger(now);
  const runtime: SandboxRuntime = { store, faults, limits, mode, counters: emptyCounters(), usage };
  return runtime;
}

function httpServer(handler: RequestHandler, runtime: SandboxRuntime, log: SandboxOptions['log']): Server {
  const server = createServer((req, res) => {
    handler.serve(req, res).catch((error: unknown) => {
      if (error instanceof RequestAborted) return;
      runtime.counters.internalErrors += 1;
      log?.(
        `sandbox: unexpected failure on ${req.method ?? '?'} ${splitTarget(req.url ?? '/').path}: ${String(error)}`,
      );
      sendAnswer(res, { status: 500, body: errorBody('611', 'System error') });
    });
  });
  server.keepAliveTimeout = 5_000;
  return server;
}

/** Listens, and says loudly when the address is reachable from other machines. */
async function listen(
  server: Server,
  settings: SandboxSettings,
  warn: (line: string) => void,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  if (!isLoopbackHost(settings.host)) {
    warn(
      `WARNING: the Marketo sandbox listens on ${settings.host}:${port}, which is not a loopback address: ` +
        'other machines can reach it and its admin endpoints are guarded by the admin token alone. ' +
        'Bind it to 127.0.0.1 unless you mean this.',
    );
  }
  return port;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const {
    now = Date.now,
    log,
    env = process.env,
    warn = (line: string) => process.stderr.write(`${line}\n`),
    ...plain
  } = options;
  const settings = sandboxOptionsSchema.parse(plain);
  const { adminToken, mode, explicitAdmin } = resolveIdentity(settings, env);
  let writer: StateFileWriter | undefined;
  const store = new SandboxStore(now, () => writer?.markDirty());
  const persisted = loadOrSeed(store, settings, explicitAdmin);
  const runtime = newRuntime(store, settings, mode, now);
  const operator = new SandboxOperator(runtime);
  if (!persisted && settings.seedUsers > 0) operator.seedUsers({ count: settings.seedUsers });
  if (settings.stateFile !== undefined) {
    writer = new StateFileWriter(
      settings.stateFile,
      () => store.toPersisted(),
      (line) => log?.(line),
    );
    writer.markDirty();
    await writer.flush();
  }

  const closing = new AbortController();
  let boundPort = settings.port;
  const guard = new AdminGuard(adminToken, settings.host, () => boundPort);
  const handler = new RequestHandler(runtime, operator, new UserManagementApi(store), closing.signal, guard, {
    tokenLifetimeSeconds: settings.tokenLifetimeSeconds,
    pod: settings.pod,
    latencyMs: settings.latencyMs,
    maxBodyBytes: settings.maxBodyBytes,
    log,
  });
  const server = httpServer(handler, runtime, log);
  const port = await listen(server, settings, warn);
  boundPort = port;
  const hostForUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  let closed: Promise<void> | undefined;
  return {
    baseUrl: `http://${hostForUrl}:${port}`,
    port,
    mode,
    adminClientId: store.adminClientId,
    adminClientSecret: store.adminClientSecret,
    adminToken,
    stateFile: settings.stateFile,
    operator,
    get state(): SandboxSnapshot {
      return operator.snapshot();
    },
    snapshot: () => operator.snapshot(),
    flush: async () => writer?.flush(),
    close: () => {
      closed ??= (async () => {
        closing.abort();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await writer?.flush();
      })();
      return closed;
    },
  };
}

function explicitAdminCredentials(
  clientId: string | undefined,
  clientSecret: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (clientId === undefined || clientSecret === undefined) {
    throw new Error('sandbox admin credentials need both a client id and a client secret');
  }
  return { clientId, clientSecret };
}

interface HandlerSettings {
  tokenLifetimeSeconds: number;
  pod: string;
  latencyMs: number;
  maxBodyBytes: number;
  log: ((line: string) => void) | undefined;
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, '1003', `Request body larger than ${limit} bytes`);
}

class RequestHandler {
  constructor(
    private readonly runtime: SandboxRuntime,
    private readonly operator: SandboxOperator,
    private readonly api: UserManagementApi,
    private readonly closing: AbortSignal,
    private readonly guard: AdminGuard,
    private readonly settings: HandlerSettings,
  ) {}

  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const { path, query } = splitTarget(req.url ?? '/');
    res.on('finish', () =>
      this.settings.log?.(`${req.method ?? '?'} ${path} ${res.statusCode} ${Date.now() - started}ms`),
    );
    if (path === IDENTITY_PATH) return this.identity(req, res, query);
    if (path.startsWith(USER_MANAGEMENT_PREFIX)) return this.userManagement(req, res, path, query);
    if (path.startsWith(SANDBOX_PREFIX)) return this.sandbox(req, res, path);
    if (path.startsWith(STATS_PREFIX)) return this.stats(req, res, path, query);
    this.runtime.counters.unknownPaths += 1;
    await readBody(req, this.settings.maxBodyBytes);
    sendAnswer(res, { status: 404, body: errorBody('610', 'Requested resource not found') });
  }

  private async identity(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    const { counters, faults, store } = this.runtime;
    counters.identity.requests += 1;
    const read = await readBody(req, this.settings.maxBodyBytes);
    let answer: Answer;
    if (read.kind === 'too-large') {
      answer = {
        status: 413,
        body: { error: 'invalid_request', error_description: 'Request body too large' },
      };
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      answer = { status: 405, body: { error: 'invalid_request', error_description: 'Use GET or POST' } };
    } else {
      await sleep(this.settings.latencyMs, this.closing);
      if (this.closing.aborted) return;
      if (faults.draw('identity') === 'identity5xx') {
        counters.injected.identity5xx += 1;
        this.sendServerFault(res);
        return;
      }
      const outcome = issueToken(store, this.settings, req, query, read.bytes);
      if (outcome.issuedNewToken) counters.identity.tokensIssued += 1;
      answer = outcome.answer;
    }
    const code = answer.status === 200 ? '200' : oauthErrorCode(answer.body);
    bump(counters.identity.answersByCode, code);
    sendAnswer(res, answer, { 'Cache-Control': 'no-store' });
  }

  private async userManagement(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    // The whole body arrives before the request counts as in flight: a client that promises a body and never
    // sends it holds its own socket only, never a slot other callers need.
    const read = await readBody(req, this.settings.maxBodyBytes);
    const slot = { held: false };
    try {
      let answer: Answer | 'handled';
      try {
        answer = await this.userManagementCall(req, res, path, query, read, slot);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        answer = { status: error.status, body: errorBody(error.code, error.message) };
      }
      if (answer === 'handled') return;
      const tally = this.runtime.counters.userManagement;
      const code = answer.status === 200 ? '200' : firstErrorCode(answer.body);
      bump(tally.answersByCode, code);
      if (code !== '200') this.runtime.usage.recordError(code);
      bump(tally.answersByStatus, String(answer.status));
      sendAnswer(res, answer);
    } finally {
      if (slot.held) this.runtime.limits.leave();
    }
  }

  /**
   * The order of checks: body size, route, token, concurrency (from here on the request holds a slot, in
   * `slot.held`), injected token expiry, permission, injected faults, rate window and quota, latency, then the
   * endpoint itself.
   */
  private async userManagementCall(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    read: Awaited<ReturnType<typeof readBody>>,
    slot: { held: boolean },
  ): Promise<Answer | 'handled'> {
    const { store, faults, limits, counters } = this.runtime;
    if (read.kind === 'too-large') throw tooLarge(read.limit);
    const route = matchUserManagementRoute(path.slice(USER_MANAGEMENT_PREFIX.length), req.method ?? 'GET');
    bump(counters.userManagement.byEndpoint, route.endpoint);
    const caller = authenticate(store, req, query);
    this.runtime.usage.recordCall(caller.user.userid);
    slot.held = true;
    if (!limits.enter()) throw concurrencyRefusal();
    // One draw for the whole request, so that each kind strikes at its configured rate (see FaultInjector.draw).
    const fault = faults.draw('userManagement');
    if (fault === 'tokenExpiry') {
      expireEarly(store, caller.token);
      return this.injectAnswer(res, 'tokenExpiry', 401, '602', 'Access token expired');
    }
    if (!store.mayUseUserManagement(caller.user)) {
      throw new ApiError(
        403,
        '603',
        'Access denied: the role needs Access User Management Api and Access Users',
      );
    }
    if (fault === '5xx') {
      counters.injected['5xx'] += 1;
      this.sendServerFault(res);
      return 'handled';
    }
    if (fault === '606') {
      return this.injectAnswer(res, '606', 429, '606', rateLimitMessage(limits.settings.rateLimit));
    }
    if (fault === '615') return this.injectAnswer(res, '615', 429, '615', concurrencyRefusal().message);
    if (fault === '604') return this.injectAnswer(res, '604', 504, '604', 'Request timed out');

    const refusal = limits.takeCall();
    if (refusal) throw new ApiError(429, refusal.code, refusal.message);
    counters.userManagement.charged += 1;

    const injectedLatency = fault === 'latency' ? faults.latencyMs : 0;
    if (injectedLatency > 0) counters.injected.latency += 1;
    await sleep(this.settings.latencyMs + injectedLatency, this.closing);
    if (this.closing.aborted) return 'handled'; // the connection is already gone

    if (fault === 'dropAfterCommit') {
      // Whatever the endpoint did (a change, or a refusal), its answer is lost: the drawn fault always lands.
      this.dropAfterCommit(req, () => {
        const body = route.takesBody && read.kind === 'complete' ? parseJsonBody(req, read.bytes) : undefined;
        this.api.handle(route, query, body);
      });
      return 'handled';
    }
    const body = route.takesBody && read.kind === 'complete' ? parseJsonBody(req, read.bytes) : undefined;
    return this.api.handle(route, query, body);
  }

  /** Performs the call, then cuts the connection without an answer, as a gateway losing the response. */
  private dropAfterCommit(req: IncomingMessage, perform: () => void): void {
    try {
      perform();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
    }
    this.runtime.counters.injected.dropAfterCommit += 1;
    req.socket.destroy();
  }

  private injectAnswer(
    res: ServerResponse,
    kind: '606' | '615' | '604' | 'tokenExpiry',
    status: number,
    code: string,
    message: string,
  ): 'handled' {
    this.runtime.counters.injected[kind] += 1;
    this.runtime.usage.recordError(code);
    sendAnswer(res, { status, body: errorBody(code, message) });
    return 'handled';
  }

  /** What a struggling gateway sends: sometimes HTML, sometimes a JSON error, never what the client hoped. */
  private sendServerFault(res: ServerResponse): void {
    const kind = this.runtime.faults.pick(['502', '503', '500'] as const);
    if (kind === '502') {
      sendRaw(res, 502, 'text/html', '<html><body><h1>502 Bad Gateway</h1></body></html>');
    } else if (kind === '503') {
      sendAnswer(res, { status: 503, body: errorBody('608', 'API Temporarily Unavailable') });
    } else {
      // No Marketo code on purpose: 611 is Marketo's fatal "system error", and an injected fault must stay a
      // transient one, or chaos runs would fail lifecycles for good on a passing hiccup.
      sendRaw(res, 500, 'text/plain', 'Internal Server Error');
    }
  }

  /**
   * The Usage API: any valid token may read it (the sandbox asks no permission of it), and it counts as a
   * call of its own against the rate window, the quota and the caller's usage, as any REST call does.
   */
  private async stats(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const { store, limits, usage } = this.runtime;
    await readBody(req, this.settings.maxBodyBytes);
    let answer: Answer;
    try {
      const route = matchStatsRoute(path, req.method ?? 'GET');
      const caller = authenticate(store, req, query);
      usage.recordCall(caller.user.userid);
      const refusal = limits.takeCall();
      if (refusal) throw new ApiError(429, refusal.code, refusal.message);
      answer = statsSuccess(route(usage));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      usage.recordError(error.code);
      answer = statsFailure(error);
    }
    sendAnswer(res, answer);
  }

  private async sandbox(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const { counters } = this.runtime;
    // Refused on the headers alone, before the body is read: nothing of a refused request is looked at.
    const refusal = this.sandboxRefusal(req, path);
    if (refusal) {
      sendAnswer(res, { status: refusal.status, body: errorBody(refusal.code, refusal.message) });
      return;
    }
    const read = await readBody(req, this.settings.maxBodyBytes);
    counters.sandboxCalls += 1;
    // Only the stand-ins that create things: the rest is the test's own control panel.
    const fault =
      req.method === 'POST' && ADMIN_STAND_INS.has(path)
        ? this.runtime.faults.draw('adminStandIn')
        : undefined;
    if (fault === '5xx') {
      counters.injected['5xx'] += 1;
      this.sendServerFault(res);
      return;
    }
    if (fault === 'latency') {
      counters.injected.latency += 1;
      await sleep(this.runtime.faults.latencyMs, this.closing);
      if (this.closing.aborted) return;
    }
    if (fault === 'dropAfterCommit' && read.kind === 'complete') {
      this.dropAfterCommit(req, () => void handleSandboxRequest(this.operator, req, path, read.bytes));
      return;
    }
    let answer: Answer;
    try {
      if (read.kind === 'too-large') throw tooLarge(read.limit);
      answer = handleSandboxRequest(this.operator, req, path, read.bytes);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      answer = { status: error.status, body: errorBody(error.code, error.message) };
    }
    sendAnswer(res, answer);
  }

  /** Host, Origin, admin token and content type (see admin-guard.ts), then real-like mode's operator header. */
  private sandboxRefusal(req: IncomingMessage, path: string): ApiError | undefined {
    const { counters } = this.runtime;
    try {
      this.guard.check(req);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      counters.refusedSandboxCalls += 1;
      return error;
    }
    if (!refusesSandboxCall(this.runtime, req, path)) return undefined;
    counters.forbiddenSandboxCalls += 1;
    return new ApiError(
      403,
      '603',
      'Sandbox operator endpoints stand in for the Marketo Admin UI; in real-like mode only the operator may call them (X-Sandbox-Operator: true, besides the admin token)',
    );
  }
}

/** The Admin UI steps the sandbox stands in for that create something, where chaos may inject faults. */
const ADMIN_STAND_INS = new Set([`${SANDBOX_PREFIX}roles`, `${SANDBOX_PREFIX}services`]);

function concurrencyRefusal(): ApiError {
  return new ApiError(429, '615', 'Concurrent access limit reached');
}

function firstErrorCode(body: unknown): string {
  const parsed = z.object({ errors: z.array(z.object({ code: z.string() })).min(1) }).safeParse(body);
  return parsed.success ? (parsed.data.errors[0]?.code ?? 'unknown') : 'unknown';
}

function oauthErrorCode(body: unknown): string {
  const parsed = z.object({ error: z.string() }).safeParse(body);
  return parsed.success ? parsed.data.error : 'unknown';
}
