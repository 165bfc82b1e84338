/**
 * A worker process killed (SIGKILL) between steps, with the user made and the custom service not yet, and a
 * new worker process started: the lifecycle carries on from its history and makes nothing twice.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { lifecycleWorkflow } from '../../src/workflows';
import { revokeUpdate } from '../../src/workflows/messages';
import {
  eventually,
  sampleRequest,
  sharedBundle,
  withDevServerHarness,
  type Harness,
} from '../helpers/lifecycle-harness';
import { WORKER_ENTRY, workerProcessEnv } from '../helpers/worker-process';
import { statusWhen } from './support';

interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  /** Resolves when the process prints `line`; rejects if it exits first. */
  printed(line: string, timeoutMs?: number): Promise<void>;
}

describe('lifecycle survives a killed worker process', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let bundleFile: string;
  let notificationsFile: string;
  const children: WorkerProcess[] = [];

  withDevServerHarness(
    async (devServer, harness, { onClose }) => {
      env = devServer;
      h = harness;
      onClose(async () => {
        for (const w of children) {
          if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
          await w.exited;
        }
      });
      bundleFile = path.join(h.dataDir, 'workflow-bundle.js');
      fs.writeFileSync(bundleFile, (await sharedBundle()).code);
      notificationsFile = path.join(h.dataDir, 'notifications.jsonl');
    },
    // Latency on every Marketo call, so steps take a while, as on a real instance.
    { sandbox: { latencyMs: 300 } },
  );

  function startWorkerProcess(stallAfterUser: boolean): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: path.join(__dirname, '..', '..'),
      env: workerProcessEnv(
        env,
        h,
        { bundleFile, notificationsFile },
        { MAU_STALL_AFTER_USER: stallAfterUser ? '1' : '0' },
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const waiters: { line: string; resolve: () => void }[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        output.push(line.trim());
        for (const w of waiters.filter((x) => x.line === line.trim())) w.resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const worker: WorkerProcess = {
      child,
      output,
      exited,
      printed: (line, timeoutMs = 30_000) =>
        new Promise<void>((resolve, reject) => {
          if (output.includes(line)) return resolve();
          const timer = setTimeout(
            () => reject(new Error(`worker did not print "${line}" in time: ${output.join(' | ')}`)),
            timeoutMs,
          );
          waiters.push({
            line,
            resolve: () => {
              clearTimeout(timer);
              resolve();
            },
          });
          void exited.then(() => {
            clearTimeout(timer);
            reject(new Error(`worker exited before printing "${line}": ${output.join(' | ')}`));
          });
        }),
    };
    children.push(worker);
    return worker;
  }

  it('a worker killed after the user step and restarted makes one user and one service, and goes active', async () => {
    const request = sampleRequest({
      email: `crash-${Date.now()}@example.com`,
      role: { name: `Crash Role ${Date.now()}`, permissions: ['Read-Only Lead'], workspace: 0 },
      // Beyond the longest default reminder lead (30d): the only notification this test expects is the last one.
      expiresAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    });
    const first = startWorkerProcess(true);
    await first.printed('ready');
    const workflowId = await h.start(request);
    const handle = h.client.getHandle<typeof lifecycleWorkflow>(workflowId);

    const midway = await statusWhen(handle, (s) => s.userId !== undefined, 30_000);
    assert.equal(midway.phase, 'provisioning', 'killed before active');
    await first.printed('stalled');
    // Between steps for real: the service step (its first activity draws the creation's key) is scheduled and
    // not picked up, no activity is running.
    const pending = await eventually(async () => {
      const { raw } = await handle.describe();
      const activities = raw.pendingActivities ?? [];
      return activities.length === 1 ? activities : undefined;
    });
    assert.equal(pending[0]?.activityType?.name, 'newIdempotencyKey');
    assert.equal(
      pending[0]?.state,
      temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
    );

    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by the signal, not exited by itself');
    assert.equal(first.child.signalCode, 'SIGKILL');
    const atKill = h.sandbox.snapshot();
    assert.equal(atKill.users.filter((u) => u.emailAddress === request.email).length, 1);
    assert.equal(atKill.services.filter((s) => s.ownerEmail === request.email).length, 0);

    const second = startWorkerProcess(false);
    await second.printed('ready');
    const active = await statusWhen(handle, (s) => s.phase === 'active', 60_000);

    const snap = h.sandbox.snapshot();
    const users = snap.users.filter((u) => u.emailAddress === request.email);
    assert.equal(users.length, 1, 'exactly one user');
    assert.equal(users[0]?.userid, midway.userId, 'the same user as before the crash');
    const services = snap.services.filter((s) => s.ownerEmail === request.email);
    assert.equal(services.length, 1, 'exactly one custom service');
    assert.equal(active.clientId, services[0]?.clientId);
    assert.equal(snap.roles.filter((r) => r.name === request.role.name).length, 1, 'exactly one role');
    assert.deepEqual(users[0]?.userRoleWorkspaces, [{ accessRoleId: active.roleId, workspaceId: 0 }]);
    assert.equal((await h.secrets.get(active.secretRef!))?.clientId, active.clientId);
    const timelineEvents = active.timeline.map((e) => e.event);
    assert.equal(timelineEvents.filter((e) => e === 'user created').length, 1);
    assert.equal(timelineEvents.filter((e) => e === 'custom service created').length, 1);
    assert.equal(timelineEvents.filter((e) => e === 'role created').length, 1);
    assert.ok(!timelineEvents.includes('user adopted'), 'the user step did not run again');
    const invites = snap.counters.userManagement.byEndpoint['POST invite.json'];
    assert.equal(invites, 1, 'one invite sent in all');

    const revoked = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'crash test done' }] });
    assert.equal(revoked.phase, 'deactivated');
    assert.equal(revoked.deactivation?.outcome, 'locked');
    assert.equal(h.sandbox.snapshot().users.find((u) => u.emailAddress === request.email)?.isLocked, true);
    // The revoke answers once deactivated; the run then notifies and completes.
    const final = await handle.result();
    assert.equal(final.phase, 'deactivated');
    assert.equal(await h.secrets.get(active.secretRef!), undefined);
    const notified = fs
      .readFileSync(notificationsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; workflowId: string });
    assert.deepEqual(
      notified.filter((n) => n.workflowId === workflowId).map((n) => n.kind),
      ['deactivated'],
    );

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, 'the second worker drains and exits cleanly');
  });
});
