/**
 * The lifecycle's decisions on the time-skipping server with mocked activities: no sandbox, no secret store, no
 * Marketo. The mocks keep a tiny in-memory Marketo (roles, one user) and log every call in order, so a test asserts
 * what the workflow decided and in which order. Timers (expiry, reminders, operator deadlines) are skipped.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import type {
  MarketoActivities,
  MarketoUserView,
  RoleView,
  SupportActivities,
} from '../../../src/activities/types';
import type { LifecycleRequestInput } from '../../../src/domain/lifecycle-request';
import type { LifecycleStatus } from '../../../src/domain/lifecycle-status';
import type { LifecycleNotification } from '../../../src/notifications';
import type { AuditEvent } from '../../../src/store/types';
import type { lifecycleWorkflow } from '../../../src/workflows';
import { MARKETO_QUEUE_SUFFIX } from '../../../src/workflows/lifecycle';
import { statusQuery } from '../../../src/workflows/messages';
import { silentLogger } from '../../helpers/quiet-runtime';
import { startTimeSkippingServer } from '../../helpers/temporal-env';

export const DAY = 86_400_000;

type LifecycleActivityMocks = MarketoActivities &
  Omit<
    SupportActivities,
    | 'getSweepContext'
    | 'managedLifecyclesOf'
    | 'firstSeenOf'
    | 'currentManagedExpiry'
    | 'recordFirstSeen'
    | 'usageOfUsers'
  >;
/** A mock may answer synchronously; the wrapper that logs it makes it an activity. */
type Mock<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => R | Promise<R> : never;
type ActivityMocks = { [K in keyof LifecycleActivityMocks]: Mock<LifecycleActivityMocks[K]> };
export type MockOverrides = Partial<ActivityMocks>;

export interface Call {
  name: string;
  args: unknown[];
}

/** An in-memory Marketo behind the activity names the lifecycle calls; `overrides` replace single activities. */
export function mockActivities(overrides: MockOverrides = {}) {
  const calls: Call[] = [];
  const notifications: LifecycleNotification[] = [];
  const audits: AuditEvent[] = [];
  const roles: RoleView[] = [];
  let user: MarketoUserView | null = null;
  let services = 0;
  const userView = (): MarketoUserView | null => (user ? structuredClone(user) : null);
  const base: ActivityMocks = {
    checkWorkflowIdKey: () => undefined,
    newIdempotencyKey: () => randomUUID(),
    getAdminCapabilities: () => ({ canCreateRoles: true, canCreateServices: true }),
    listRoles: () => structuredClone(roles),
    listUsersPage: () => [],
    listWorkspaces: () => [{ id: 0, name: 'All Zones' }],
    getRolePermissions: () => null,
    createRole: ({ name }) => {
      const role = { id: 100 + roles.length, name, type: 'custom' };
      roles.push(role);
      return { id: role.id, name };
    },
    deleteRole: () => 'deleted',
    inviteApiOnlyUser: (input) => {
      if (user) return 'already-exists';
      user = {
        userid: input.email,
        id: 500,
        emailAddress: input.email,
        firstName: input.firstName,
        lastName: input.lastName,
        apiOnly: true,
        isLocked: false,
        lockedReason: null,
        expiresAt: input.expiresAt,
        roles: [{ accessRoleId: input.roleId, workspaceId: input.workspaceId }],
        createdAt: null,
      };
      return 'invited';
    },
    getUser: () => userView(),
    setUserExpiry: (_userid, expiresAt) => {
      if (user) user.expiresAt = expiresAt;
      return userView();
    },
    expireUserNow: () => {
      if (user) Object.assign(user, { expiresAt: new Date().toISOString(), isLocked: true });
      return userView();
    },
    setUserNames: () => userView(),
    addUserRoles: () => user?.roles ?? null,
    removeUserRoles: () => user?.roles ?? null,
    deleteUser: () => {
      user = null;
      return 'deleted';
    },
    confirmUserLocked: () => 'locked',
    // A rotation's second service gets client-2, and so on.
    createCustomService: () => ({ clientId: `client-${++services}` }),
    deleteCustomService: () => 'deleted',
    deleteCustomServicesOf: () => [],
    verifyServiceCredentials: () => ({ ok: true }),
    deleteSecret: () => undefined,
    proveCredentialsDead: () => ({ dead: true }),
    notify: (event) => {
      notifications.push(event);
    },
    appendAuditEvent: (event) => {
      if (!audits.some((a) => a.id === event.id)) audits.push(event);
    },
  };
  const merged: Record<string, (...args: never[]) => unknown> = { ...base, ...overrides };
  const activities = Object.fromEntries(
    Object.entries(merged).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        calls.push({ name, args });
        return await fn(...args);
      },
    ]),
  );
  const names = (...only: string[]) => calls.map((c) => c.name).filter((n) => only.includes(n));
  const of = (kind: LifecycleNotification['kind']) => notifications.filter((n) => n.kind === kind);
  return { activities, calls, names, notifications, audits, of, user: () => userView() };
}

export type Mocks = ReturnType<typeof mockActivities>;

export interface LifecycleTestEnv {
  env: TestWorkflowEnvironment;
  /** Runs `fn` while the file's workers serve `mocks` (tests of a file run one at a time). */
  withMocks<T>(mocks: Mocks, fn: (taskQueue: string) => Promise<T>): Promise<T>;
  /** Server time: it runs ahead of the wall clock once timers were skipped. */
  now(): Promise<number>;
  teardown(): Promise<void>;
}

/**
 * One server, one bundle and one pair of workers per test file (starting workers is the slow part); each test
 * swaps in its own mocks.
 */
export async function startLifecycleTestEnv(): Promise<LifecycleTestEnv> {
  const [env, workflowBundle] = await Promise.all([startTimeSkippingServer(), bundle()]);
  let current: Mocks | undefined;
  const names = Object.keys(mockActivities().activities);
  const activities = Object.fromEntries(
    names.map((name) => [
      name,
      (...args: never[]) => {
        if (!current) throw new Error(`${name} ran outside a test`);
        return current.activities[name]!(...args);
      },
    ]),
  );
  const taskQueue = `unit-${randomUUID()}`;
  const common = { connection: env.nativeConnection, activities };
  const workers = [
    await Worker.create({ ...common, taskQueue, workflowBundle }),
    await Worker.create({ ...common, taskQueue: `${taskQueue}${MARKETO_QUEUE_SUFFIX}` }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    async withMocks(mocks, fn) {
      current = mocks;
      try {
        return await fn(taskQueue);
      } finally {
        current = undefined;
      }
    },
    now: () => env.currentTimeMs(),
    async teardown() {
      for (const worker of workers) worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

async function bundle(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../../src/workflows'),
    preloadModules: [require.resolve('../../../src/workflows/shared-modules')],
    logger: silentLogger,
  });
}

/** Whole seconds, as Marketo stores them, `days` after `from`. */
export function inDays(days: number, from: number): string {
  return new Date(Math.floor((from + days * DAY) / 1000) * 1000).toISOString();
}

export function request(
  overrides: Partial<LifecycleRequestInput> & { expiresAt: string },
): LifecycleRequestInput {
  return {
    email: `unit-${randomUUID().slice(0, 8)}@example.com`,
    firstName: 'Ada',
    lastName: 'Unit',
    role: { name: 'Integration Read-Only', permissions: ['Read-Only Lead'], workspace: 0 },
    reason: 'unit test',
    ...overrides,
  };
}

/** Starts a lifecycle for `req`; the handle is typed for its queries and updates. */
export async function start(
  t: LifecycleTestEnv,
  taskQueue: string,
  req: LifecycleRequestInput,
  extra: { actor?: string; adopt?: { marketoUserId: number } } = {},
) {
  return t.env.client.workflow.start<typeof lifecycleWorkflow>('lifecycleWorkflow', {
    taskQueue,
    workflowId: `lifecycle-unit-${randomUUID()}`,
    args: [{ request: req, workflowIdKeyFingerprint: '0123456789abcdef', ...extra }],
  });
}

/** Polls the status query until `done` holds (the worker answers queries while timers wait). */
export async function statusWhen(
  handle: Awaited<ReturnType<typeof start>>,
  done: (status: LifecycleStatus) => boolean,
  timeoutMs = 10_000,
): Promise<LifecycleStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (done(status)) return status;
    if (Date.now() > deadline) throw new Error(`status never matched; last: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Ends a lifecycle a test is done with, once its audit events are stored: the time-skipping server stops
 * skipping time for good when a workflow is terminated while one of its activities runs, which would hang the
 * next test that waits on a timer.
 */
export async function terminateWhenSettled(
  handle: Awaited<ReturnType<typeof start>>,
  mocks: Mocks,
  auditEvents: number,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  const settled = async () =>
    mocks.audits.length >= auditEvents &&
    ((await handle.describe()).raw.pendingActivities ?? []).length === 0;
  while (!(await settled())) {
    if (Date.now() > deadline)
      throw new Error(`${mocks.audits.length} audit events, activities still pending`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await handle.terminate('test done');
}

/** The message the workflow refused an Update with; fails the test when the Update was accepted. */
export async function refusalOf(update: Promise<unknown>, what = 'the update'): Promise<string> {
  const error = await update.then(
    () => assert.fail(`${what} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowUpdateFailedError);
  return String(error.cause?.message);
}
