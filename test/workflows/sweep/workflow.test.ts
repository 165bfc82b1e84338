/**
 * The sweep workflow (src/workflows/sweep/workflow.ts) with mocked activities on the time-skipping server:
 * pages and continue-as-new, the report carried across runs, its notifications, dry runs and refused input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { MarketoUserView, UserSummaryView } from '../../../src/activities/types';
import type { AuditEvent } from '../../../src/store/types';
import type { LifecycleNotification } from '../../../src/notifications';
import { sweepWorkflow } from '../../../src/workflows';
import type { SweepWorkflowInput } from '../../../src/workflows/sweep/workflow';
import { withTimeSkippingServer } from '../../helpers/temporal-env';

const DAY = 86_400_000;
const TASK_QUEUE = 'sweep-unit';
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Seven API-only users (three without expiry, one expired but unlocked) and one person, over pages of three.
 * Expiry dates are days from the moment Marketo is asked: the time-skipping server's clock, which can run ahead
 * of the wall clock (once, under load, a whole dry run judged the 400-day users expired).
 */
function instance(): MarketoUserView[] {
  const user = (n: number, expiresInDays: number | null): MarketoUserView => ({
    userid: `svc-${n}@example.com`,
    id: n,
    emailAddress: `svc-${n}@example.com`,
    firstName: 'Svc',
    lastName: String(n),
    apiOnly: n !== 8,
    isLocked: false,
    lockedReason: null,
    expiresAt: expiresInDays === null ? null : String(expiresInDays),
    roles: [],
    createdAt: null,
  });
  return [user(1, null), user(2, 400), user(3, -1), user(4, null), user(5, 400), user(6, null)].concat([
    user(7, 400),
    user(8, null),
  ]);
}

/** A user as Marketo would answer now, in the server's time: `expiresAt` days become a date. */
function asOfServerTime(user: MarketoUserView): MarketoUserView {
  if (user.expiresAt === null) return user;
  const now = Context.current().info.currentAttemptScheduledTimestampMs;
  return { ...user, expiresAt: new Date(now + Number(user.expiresAt) * DAY).toISOString() };
}

/** Mocked activities over `users`, recording every call; `notifyFails` makes the report's delivery fail. */
function mocks(users: MarketoUserView[], notifyFails = false) {
  const calls: string[] = [];
  const notifications: LifecycleNotification[] = [];
  const audits: AuditEvent[] = [];
  const marketo = {
    listUsersPage(offset: number, size: number): Promise<UserSummaryView[]> {
      calls.push(`list ${offset}`);
      const page = users.slice(offset, offset + size);
      return Promise.resolve(
        page.map((u) => ({ userid: u.userid, email: u.emailAddress, apiOnly: u.apiOnly })),
      );
    },
    getUser(userid: string) {
      const found = users.find((u) => u.userid === userid);
      return Promise.resolve(found ? asOfServerTime(found) : null);
    },
    setUserExpiry(userid: string, expiresAt: string) {
      calls.push(`write ${userid} ${expiresAt.slice(0, 4)}`);
      return Promise.resolve(null);
    },
  };
  const support = {
    getSweepContext: () => Promise.resolve({ selfEmail: 'orchestrator@example.com' }),
    managedLifecyclesOf: () => Promise.resolve({}),
    currentManagedExpiry: () => Promise.resolve(null),
    firstSeenOf(userids: string[]) {
      calls.push(`firstSeenOf ${userids.length}`);
      return Promise.resolve({});
    },
    recordFirstSeen(userids: string[], at: string) {
      calls.push(`recordFirstSeen ${userids.length}`);
      return Promise.resolve(Object.fromEntries(userids.map((id) => [id, at])));
    },
    notify(notification: LifecycleNotification) {
      notifications.push(notification);
      if (notifyFails && notification.kind === 'sweep-report') {
        throw ApplicationFailure.create({ message: 'webhook down', nonRetryable: true });
      }
      return Promise.resolve();
    },
    appendAuditEvent(event: AuditEvent) {
      audits.push(event);
      return Promise.resolve();
    },
  };
  return { marketo, support, calls, notifications, audits };
}

describe('the sweep workflow with mocked activities', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;
  let runs = 0;

  withTimeSkippingServer(async (server) => {
    env = server;
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../../src/workflows'),
      logger: quiet,
    });
  });

  async function sweep(input: SweepWorkflowInput, mocked: ReturnType<typeof mocks>) {
    const connection = env.nativeConnection;
    const workers = await Promise.all([
      Worker.create({ connection, taskQueue: TASK_QUEUE, workflowBundle, activities: mocked.support }),
      Worker.create({ connection, taskQueue: `${TASK_QUEUE}-marketo`, activities: mocked.marketo }),
    ]);
    const execute = () =>
      env.client.workflow.execute(sweepWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: `sweep-unit-${++runs}`,
        args: [input],
      });
    return workers[0].runUntil(workers[1].runUntil(execute()));
  }

  it('pages through every user, one page a run, and carries the report across runs', async () => {
    const mocked = mocks(instance(), true);
    const report = await sweep({ policy: { requireExpiry: 'set' }, pageSize: 3, pagesPerRun: 1 }, mocked);
    assert.deepEqual(
      mocked.calls.filter((c) => c.startsWith('list')),
      ['list 0', 'list 3', 'list 6'],
    );
    assert.equal(mocked.calls.filter((c) => c.startsWith('write')).length, 4);
    assert.deepEqual(
      mocked.calls.filter((c) => c.includes('FirstSeen') || c.startsWith('firstSeen')),
      ['recordFirstSeen 3', 'recordFirstSeen 3', 'recordFirstSeen 1'],
    );
    assert.equal(report.pages, 3);
    assert.deepEqual(report.counts, {
      scanned: 7,
      compliant: 3,
      locked: 1,
      expirySet: 3,
      driftCorrected: 0,
      exempt: 0,
      reported: 0,
      errors: 0,
    });
    assert.deepEqual(report.lines.map((l) => `${l.email} ${l.action} ${l.applied}`).sort(), [
      'svc-1@example.com set-expiry true',
      'svc-3@example.com lock true',
      'svc-4@example.com set-expiry true',
      'svc-6@example.com set-expiry true',
    ]);
    // Each run sends its own lines as a numbered part before it continues; the report's delivery failed.
    const parts = mocked.notifications.filter((n) => n.kind === 'sweep-lines').map((n) => n.details?.part);
    assert.deepEqual(parts, [1, 2]);
    // Every change it applied is in the audit log, by the sweep, one id per user across the runs.
    assert.deepEqual(mocked.audits.map((a) => `${a.email} ${a.detail.action} ${a.actor}`).sort(), [
      'svc-1@example.com set-expiry sweep',
      'svc-3@example.com lock sweep',
      'svc-4@example.com set-expiry sweep',
      'svc-6@example.com set-expiry sweep',
    ]);
    assert.ok(mocked.audits.every((a) => a.kind === 'sweep-action' && a.reason));
    assert.equal(new Set(mocked.audits.map((a) => a.id)).size, 4);
    assert.deepEqual(report.notifications, {
      lineParts: 2,
      failedLineParts: 0,
      reportDelivered: false,
      problem: 'webhook down',
    });
  });

  it('a dry run reads first sightings without recording any, writes nothing, and lists what it would do', async () => {
    const mocked = mocks(instance());
    const report = await sweep({ dryRun: true, policy: { requireExpiry: 'set' }, pageSize: 3 }, mocked);
    assert.deepEqual(mocked.calls, [
      'list 0',
      'firstSeenOf 3',
      'list 3',
      'firstSeenOf 3',
      'list 6',
      'firstSeenOf 1',
    ]);
    assert.equal(report.counts.expirySet + report.counts.locked, 4);
    assert.deepEqual(report.lines.map((l) => `${l.email} ${l.action} ${l.applied}`).sort(), [
      'svc-1@example.com set-expiry false',
      'svc-3@example.com lock false',
      'svc-4@example.com set-expiry false',
      'svc-6@example.com set-expiry false',
    ]);
    assert.equal(report.notifications?.reportDelivered, true);
    assert.deepEqual(mocked.audits, [], 'a dry run changes nothing, so it audits nothing');
  });

  it('refuses input outside its bounds before any activity', async () => {
    const mocked = mocks(instance());
    await assert.rejects(
      sweep({ pageSize: 0 }, mocked),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === 'InvalidInput' &&
        /refused before anything changed/.test(error.cause.message),
    );
    assert.deepEqual(mocked.calls, []);
  });
});
