/**
 * A worker process killed (SIGKILL) in the middle of a sweep, and a new one started: the sweep resumes from its
 * history and repeats no completed change. Every write Marketo receives is recorded, with its value, by a proxy
 * in front of the sandbox (it sees writes even when the process that sent them is already dead). Each user is
 * written once, except a user whose write was in flight at the kill: its retry writes again, with the same date
 * (decided in the workflow, not in the activity).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseMarketoDate } from '../../src/marketo/datetime';
import { sweepWorkflow } from '../../src/workflows';
import { eventually, sharedBundle, withDevServerHarness, type Harness } from '../helpers/lifecycle-harness';
import { WORKER_ENTRY, workerProcessEnv } from '../helpers/worker-process';
import { ORCHESTRATOR_EMAIL, sweepId } from './support';

const USERS = 300;
const CONCURRENCY = 5;

interface Write {
  userid: string;
  expiresAt: string;
}

interface RecordingProxy {
  url: string;
  /** Every update.json, in order of arrival. */
  writes: Write[];
  /** Called as each write arrives, before it is forwarded: a test may kill the caller right there. */
  onWrite: (count: number) => void;
  close(): Promise<void>;
}

/** A pass-through proxy to the sandbox that records every update.json as it arrives. */
async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const update = /\/users\/([^/?]+)\/update\.json/.exec(url);
      if (req.method === 'POST' && update) {
        const { expiresAt } = JSON.parse(body.toString('utf8')) as { expiresAt: string };
        proxy.writes.push({ userid: decodeURIComponent(update[1]!), expiresAt });
        proxy.onWrite(proxy.writes.length);
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (e): e is [string, string] => typeof e[1] === 'string' && !['host', 'connection'].includes(e[0]),
        ),
      );
      // Forwarded whatever becomes of the caller: a killed worker's last writes still reach Marketo.
      fetch(`${target}${url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      })
        .then(async (answer) => {
          const text = Buffer.from(await answer.arrayBuffer());
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: RecordingProxy = {
    url: `http://127.0.0.1:${port}`,
    writes: [],
    onWrite: () => undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

describe('sweep survives a killed worker process', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let proxy: RecordingProxy;
  let bundleFile: string;
  let notificationsFile: string;
  const children: WorkerProcess[] = [];

  withDevServerHarness(
    async (devServer, harness, { onClose }) => {
      env = devServer;
      h = harness;
      proxy = await startRecordingProxy(h.sandbox.baseUrl);
      onClose(() => proxy.close());
      // Registered last, so it runs first: the worker processes die before the proxy they call closes.
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
    // Latency on every Marketo call, so that calls are in flight when the process dies; a rate limit out of
    // the way (the budget is another test's subject).
    { sandbox: { seedUsers: USERS, latencyMs: 20, rateLimit: { calls: 10_000, windowMs: 1000 } } },
  );

  async function startWorkerProcess(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: path.join(__dirname, '..', '..'),
      env: workerProcessEnv(
        env,
        h,
        { bundleFile, notificationsFile, marketoUrl: proxy.url },
        { MAU_MARKETO_CONCURRENCY: String(CONCURRENCY) },
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const worker = { child, output, exited };
    children.push(worker);
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          output.push(line.trim());
          if (line.trim() === 'ready') resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => reject(new Error(`worker exited before ready: ${output.join(' | ')}`)));
    });
    await ready;
    return worker;
  }

  const seededWithExpiry = () =>
    h.sandbox.snapshot().users.filter((u) => u.emailAddress !== ORCHESTRATOR_EMAIL && u.expiresAt !== null)
      .length;

  it('a worker killed halfway is replaced; each user is written once, in-flight ones again with the same date', async () => {
    const first = await startWorkerProcess();
    const workflowId = sweepId('crash');
    const handle = await h.client.start(sweepWorkflow, {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ policy: { requireExpiry: 'set' }, pageSize: 50, pagesPerRun: 2, concurrency: CONCURRENCY }],
    });

    // Killed the moment the 150th write reaches Marketo: that write is applied, its answer never read.
    proxy.onWrite = (count) => {
      if (count === USERS / 2) first.child.kill('SIGKILL');
    };
    await Promise.race([
      first.exited,
      eventually(() => (seededWithExpiry() >= USERS ? true : undefined), 60_000).then(() => {
        throw new Error('the sweep finished before the kill');
      }),
    ]);
    assert.equal(await first.exited, null, 'killed by the signal');
    assert.equal(first.child.signalCode, 'SIGKILL');
    const atKill = seededWithExpiry();
    assert.ok(atKill >= USERS / 2 - CONCURRENCY && atKill < USERS, `killed mid-sweep: ${atKill} of ${USERS}`);

    // The attempts the dead process held stop heartbeating: the server retries each after the sweep's 20 s
    // heartbeat timeout. Without heartbeats they would wait for the 2-minute start-to-close timeout, which the
    // guard below does not allow.
    const killedAt = Date.now();
    const { raw } = await handle.describe();
    const started = (raw.pendingActivities ?? []).filter(
      (a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    const inFlightWrites = started.filter((a) => a.activityType?.name === 'setUserExpiry').length;
    assert.ok(started.length <= CONCURRENCY, `${started.length} attempts in flight`);

    const second = await startWorkerProcess();
    let guard: NodeJS.Timeout | undefined;
    const report = await Promise.race([
      handle.result(),
      new Promise<never>((_, reject) => {
        guard = setTimeout(
          () =>
            reject(
              new Error('the sweep did not recover within 100 s: are the in-flight attempts heartbeating?'),
            ),
          100_000,
        );
      }),
    ]).finally(() => clearTimeout(guard));
    const recoveryMs = Date.now() - killedAt;

    assert.deepEqual(report.counts, {
      scanned: USERS + 1,
      compliant: 0,
      locked: 0,
      expirySet: USERS,
      driftCorrected: 0,
      exempt: 1,
      reported: 0,
      errors: 0,
    });
    assert.equal(report.lines.length, USERS, 'one line per user, none twice');
    assert.equal(new Set(report.lines.map((l) => l.email)).size, USERS);

    const users = h.sandbox.snapshot().users.filter((u) => u.emailAddress !== ORCHESTRATOR_EMAIL);
    const writesByUser = new Map<string, string[]>();
    for (const w of proxy.writes)
      writesByUser.set(w.userid, [...(writesByUser.get(w.userid) ?? []), w.expiresAt]);
    const twice: string[] = [];
    for (const user of users) {
      const line = report.lines.find((l) => l.email === user.emailAddress);
      assert.ok(line?.expiresAt, `${user.emailAddress} in the report`);
      assert.equal(user.expiresAt, line.expiresAt, `${user.emailAddress}: Marketo holds the reported date`);
      const values = writesByUser.get(user.userid) ?? [];
      assert.ok(values.length === 1 || values.length === 2, `${user.userid} written ${values.length} times`);
      assert.deepEqual(
        values.map((v) => parseMarketoDate(v).getTime()),
        values.map(() => Date.parse(line.expiresAt!)),
        `${user.userid}: every write carries the one decided date`,
      );
      if (values.length === 2) twice.push(user.userid);
    }
    assert.ok(
      twice.length <= inFlightWrites,
      `${twice.length} users written twice, ${inFlightWrites} writes were in flight at the kill`,
    );
    assert.ok(twice.length >= 1, 'the write the kill interrupted was retried: the case under test happened');
    // Up to CONCURRENCY writes were in flight; the one the kill interrupted is among those written twice.
    const interrupted = proxy.writes[USERS / 2 - 1]?.userid;
    assert.ok(
      interrupted && twice.includes(interrupted),
      `the interrupted write (${interrupted}) was written again: ${twice.join(', ')}`,
    );
    assert.equal(writesByUser.has(ORCHESTRATOR_EMAIL), false);
    const counted = h.sandbox.snapshot().counters.userManagement.byEndpoint['POST {userid}/update.json'];
    assert.equal(counted, proxy.writes.length, 'the proxy saw every write the sandbox counted');
    assert.equal(proxy.writes.length, USERS + twice.length);

    const runs = [];
    for await (const e of h.client.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(e);
    assert.ok(runs.length >= 3, `the sweep continued as new across the crash: ${runs.length} runs`);
    const notified = fs
      .readFileSync(notificationsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; workflowId: string; details?: { lines?: unknown[] } });
    const ours = notified.filter((n) => n.workflowId === workflowId);
    assert.deepEqual(
      ours.filter((n) => n.kind !== 'sweep-lines').map((n) => n.kind),
      ['sweep-report'],
    );
    // Each run sends its lines as it ends; a run the kill interrupted may send its part again after the retry.
    const notifiedLines = ours.flatMap((n) => (n.kind === 'sweep-lines' ? (n.details?.lines ?? []) : []));
    assert.ok(notifiedLines.length >= USERS, `${notifiedLines.length} lines notified`);
    console.log(
      `killed at ${atKill}/${USERS} users written; ${started.length} attempts in flight (${inFlightWrites} writes); ` +
        `${twice.length} users written twice (same date); ${runs.length} runs; ` +
        `finished ${(recoveryMs / 1000).toFixed(1)} s after the kill`,
    );

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, 'the second worker drains and exits cleanly');
  });
});
