/**
 * The bench's `rotationCalls` figure: the Marketo calls one full rotation of a custom service's secret makes
 * (rotate, then the old service retired when the switch is confirmed or when the overlap ends), by the sandbox's
 * own counters: charged REST (User Management) calls, identity token requests and admin-console (/sandbox/*)
 * calls. Averaged over N rotations, and set against the same counters for onboarding one lifecycle in the same
 * run (the same worker, sandbox and token cache), so the ratio says what a rotation costs next to an onboarding.
 *
 * The phases run one after another so that each counter delta belongs to one kind of work: onboarding all N,
 * then half of them rotating with an early confirmation, then the other half waiting out the overlap.
 */
import type { ChildProcess } from 'node:child_process';
import type { WorkflowClient } from '@temporalio/client';
import { MIN_OVERLAP_MS } from '../src/domain/durations';
import type { LifecycleRequestInput } from '../src/domain/lifecycle-request';
import type { LifecycleStatus } from '../src/domain/lifecycle-status';
import { startSandbox, type RunningSandbox } from '../src/sandbox';
import { lifecycleWorkflow } from '../src/workflows';
import { confirmSwitchUpdate, rotateUpdate, statusQuery } from '../src/workflows/messages';
import { mapLimit, waitFor } from '../scripts/lib/script-support';

export interface RotationCallsDeps {
  client: WorkflowClient;
  fingerprint: string;
  /** Starts a bench worker process on the task queue with these BENCH_* settings; answers once it polls. */
  spawnWorker: (env: Record<string, string>) => Promise<ChildProcess>;
  stopWorker: (child: ChildProcess) => Promise<void>;
  log: (line: string) => void;
  rotations: number;
}

/** The three kinds of Marketo calls the sandbox counts, as a delta between two moments. */
export interface CallCounts {
  rest: number;
  identity: number;
  adminConsole: number;
  total: number;
}

const TASK_QUEUE = 'bench-rotation';
const DAY_MS = 86_400_000;

function countsOf(sandbox: RunningSandbox): CallCounts {
  const { counters } = sandbox.snapshot();
  const rest = counters.userManagement.charged;
  const identity = counters.identity.requests;
  const adminConsole = counters.sandboxCalls;
  return { rest, identity, adminConsole, total: rest + identity + adminConsole };
}

function perUnit(before: CallCounts, after: CallCounts, units: number): CallCounts {
  const each = (key: keyof CallCounts) => Number(((after[key] - before[key]) / units).toFixed(2));
  return {
    rest: each('rest'),
    identity: each('identity'),
    adminConsole: each('adminConsole'),
    total: each('total'),
  };
}

function request(email: string): LifecycleRequestInput {
  return {
    email,
    firstName: 'Bench',
    lastName: 'Rotation',
    role: { name: 'Bench Rotation', permissions: ['Read-Only Lead'], workspace: 0 },
    expiresAt: new Date(Date.now() + 30 * DAY_MS).toISOString(),
  };
}

async function statuses(client: WorkflowClient, ids: readonly string[]): Promise<LifecycleStatus[]> {
  return mapLimit([...ids], 20, (id) => client.getHandle<typeof lifecycleWorkflow>(id).query(statusQuery));
}

/** Waits until every lifecycle is past its rotation, and fails loudly on one that abandoned it. */
async function rotationsOver(
  client: WorkflowClient,
  ids: readonly string[],
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      const all = await statuses(client, ids);
      const abandoned = all.filter((s) => s.lastRotation?.outcome === 'abandoned');
      if (abandoned.length)
        throw new Error(`${abandoned.length} rotations were abandoned: not a clean measure`);
      return all.every((s) => s.rotation === undefined && s.lastRotation?.outcome === 'completed');
    },
    timeoutMs,
    `${ids.length} rotations completed`,
    500,
  );
}

async function onboard(deps: RotationCallsDeps, ids: readonly string[]): Promise<void> {
  await mapLimit([...ids], 20, (workflowId) =>
    deps.client.start(lifecycleWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [
        { request: request(`${workflowId}@bench.example.com`), workflowIdKeyFingerprint: deps.fingerprint },
      ],
    }),
  );
  await waitFor(
    async () => (await statuses(deps.client, ids)).every((s) => s.phase === 'active'),
    300_000,
    `${ids.length} onboardings`,
    500,
  );
}

async function rotate(deps: RotationCallsDeps, ids: readonly string[], confirm: boolean): Promise<void> {
  await mapLimit([...ids], 20, async (workflowId) => {
    const handle = deps.client.getHandle<typeof lifecycleWorkflow>(workflowId);
    await handle.executeUpdate(rotateUpdate, { args: [{ overlapMs: MIN_OVERLAP_MS, actor: 'bench' }] });
    if (confirm) await handle.executeUpdate(confirmSwitchUpdate, { args: [{ actor: 'bench' }] });
  });
  await rotationsOver(deps.client, ids, MIN_OVERLAP_MS + 120_000);
}

export async function rotationCalls(deps: RotationCallsDeps) {
  const n = deps.rotations;
  const sandbox = await startSandbox({
    env: {},
    rateLimit: { calls: 1e9, windowMs: 1000 },
    maxConcurrent: 1e6,
    dailyQuota: 1e12,
  });
  const worker = await deps.spawnWorker({
    BENCH_TASK_QUEUE: TASK_QUEUE,
    BENCH_SANDBOX_URL: sandbox.baseUrl,
    BENCH_SANDBOX_ADMIN_TOKEN: sandbox.adminToken,
    BENCH_CLIENT_ID: sandbox.adminClientId,
    BENCH_CLIENT_SECRET: sandbox.adminClientSecret,
    BENCH_BUDGET: 'unlimited',
  });
  try {
    const stamp = Date.now().toString(36);
    const ids = Array.from({ length: n }, (_, i) => `bench-rotation-${stamp}-${i}`);
    const confirming = ids.slice(0, Math.ceil(n / 2));
    const waiting = ids.slice(confirming.length);
    deps.log(
      `rotationCalls: onboarding ${n}, then ${confirming.length} confirmed and ${waiting.length} waited out`,
    );
    const start = countsOf(sandbox);
    await onboard(deps, ids);
    const onboarded = countsOf(sandbox);
    await rotate(deps, confirming, true);
    const confirmed = countsOf(sandbox);
    deps.log(
      `rotationCalls: ${confirming.length} confirmed rotations done; waiting out ${waiting.length} overlaps`,
    );
    if (waiting.length) await rotate(deps, waiting, false);
    const end = countsOf(sandbox);
    const perOnboarding = perUnit(start, onboarded, n);
    const perRotation = perUnit(onboarded, end, n);
    return {
      params: {
        rotations: n,
        overlapMs: MIN_OVERLAP_MS,
        confirmed: confirming.length,
        overlapEnded: waiting.length,
      },
      perOnboarding,
      perRotation,
      perConfirmedRotation: perUnit(onboarded, confirmed, confirming.length),
      ...(waiting.length ? { perOverlapEndedRotation: perUnit(confirmed, end, waiting.length) } : {}),
      rotationOverOnboarding: Number((perRotation.total / perOnboarding.total).toFixed(2)),
      servicesLeft: sandbox.snapshot().services.filter((s) => s.ownerEmail?.startsWith('bench-rotation-'))
        .length,
    };
  } finally {
    await deps.stopWorker(worker);
    await sandbox.close();
  }
}
