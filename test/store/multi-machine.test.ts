/**
 * Workers on two machines and the CLI on a third, sharing nothing but Temporal and PostgreSQL: each worker
 * process has its own data folder and secret folder (the same key file, copied, as an operator would), and
 * the CLI runs from a third folder. Machine A provisions the lifecycle and stores the secret; A is then
 * killed, so machine B must run the deactivation at expiry, which the time-skipping server reaches with
 * `env.sleep`. The secret B deletes is the one A stored: it is gone from PostgreSQL, `credentials` refuses,
 * the old secret gets no token, and the audit log read through the CLI tells the whole story.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { z } from 'zod';
import {
  auditEventsOf,
  cliEnv,
  describeRun,
  errorJsonSchema,
  oneJson,
  onboardJsonSchema,
  runCli,
} from '../cli/support';
import {
  eventually,
  sharedBundle,
  withTimeSkippingHarness,
  type Harness,
} from '../helpers/lifecycle-harness';
import { startRealPostgres, type RealPostgres } from '../helpers/postgres';
import { WORKER_ENTRY, workerProcessEnv } from '../helpers/worker-process';

const DAY = 86_400_000;

interface Machine {
  name: string;
  dataDir: string;
  child?: ChildProcess;
  output: string[];
  exited?: Promise<void>;
}

/** A folder of its own, holding only the key file every machine of the deployment is given. */
function newMachine(name: string, keyFile: string): Machine {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mau-multi-${name}-`));
  fs.copyFileSync(keyFile, path.join(dataDir, 'keys.json'));
  fs.chmodSync(path.join(dataDir, 'keys.json'), 0o600);
  return { name, dataDir, output: [] };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** The identity of the worker that took each attempt of `activity`, from the ActivityTaskStarted events. */
function startedBy(
  events: temporal.api.history.v1.IHistoryEvent[] | null | undefined,
  activity: string,
): string[] {
  const scheduled = new Map<string, string>();
  const identities: string[] = [];
  for (const e of events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name) scheduled.set(String(e.eventId), s.activityType.name);
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activity) {
      identities.push(started.identity ?? '');
    }
  }
  return identities;
}

describe('two worker machines and a CLI machine sharing only Temporal and PostgreSQL', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let postgres: RealPostgres;
  let bundleFile: string;
  let a: Machine;
  let b: Machine;
  let cliMachine: Machine;
  let cli: (...args: string[]) => ReturnType<typeof runCli>;
  const email = `multi-${Date.now().toString(36)}@example.com`;
  let clientId = '';
  let secret = '';
  let workflowId = '';

  withTimeSkippingHarness(async (server, harness, { onClose }) => {
    env = server;
    h = harness;
    postgres = await startRealPostgres();
    onClose(() => postgres.destroy());
    const keyFile = path.join(h.dataDir, 'keys.json');
    [a, b, cliMachine] = ['a', 'b', 'cli'].map((name) => newMachine(name, keyFile)) as [
      Machine,
      Machine,
      Machine,
    ];
    onClose(() => {
      for (const m of [a, b, cliMachine]) fs.rmSync(m.dataDir, { recursive: true, force: true });
    });
    // Registered last, so it runs first: the workers die before PostgreSQL and the server stop.
    onClose(async () => {
      for (const m of [a, b]) {
        if (m.child?.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
        await m.exited;
      }
    });
    // Code, not data: outside the machines' folders, so that they hold only what the product wrote.
    bundleFile = path.join(h.dataDir, 'workflow-bundle.js');
    fs.writeFileSync(bundleFile, (await sharedBundle()).code);
    const shared = {
      TEMPORAL_ADDRESS: env.address,
      MARKETO_API_USERS_TASK_QUEUE: h.taskQueue,
      MARKETO_API_USERS_DATABASE_URL: postgres.databaseUrl,
      MARKETO_BASE_URL: h.sandbox.baseUrl,
    };
    cli = (...args) =>
      runCli(args, { env: cliEnv({ ...shared, MARKETO_API_USERS_DATA_DIR: cliMachine.dataDir }) });
  });

  /**
   * The time-skipping test server never moves a workflow task off a dead worker's sticky queue (seen: the
   * reminder's TimerFired, then a WorkflowTaskScheduled that stays scheduled), where the dev server does so
   * within stickyQueueScheduleToStartTimeout (lifecycle-crash relies on it). The machine that dies therefore
   * caches no workflow, which the product's setting allows: its workflow tasks go to the shared queue.
   */
  async function startWorker(m: Machine, settings: Record<string, string> = {}): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
      cwd: path.join(__dirname, '..', '..'),
      env: workerProcessEnv(
        env,
        h,
        { bundleFile, notificationsFile: path.join(m.dataDir, 'notifications.jsonl') },
        {
          MARKETO_API_USERS_DATA_DIR: m.dataDir,
          MARKETO_API_USERS_SECRET_DIR: path.join(m.dataDir, 'secrets'),
          MARKETO_API_USERS_DATABASE_URL: postgres.databaseUrl,
          ...settings,
        },
      ),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    m.child = child;
    m.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (!line.trim()) continue;
          m.output.push(line.trim());
          if (line.trim() === 'ready') resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void m.exited!.then(() => reject(new Error(`worker ${m.name} exited: ${m.output.join(' | ')}`)));
    });
  }

  const identityOf = (m: Machine) => `${m.child?.pid}@${os.hostname()}`;

  const token = (id: string, clientSecret: string) =>
    fetch(
      `${h.sandbox.baseUrl}/identity/oauth/token?${new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: id,
        client_secret: clientSecret,
      }).toString()}`,
    );

  /** Neither worker's folder has a secret file, nor any file with the secret in it. */
  function assertNoSecretOnWorkers(): void {
    for (const m of [a, b]) {
      const files = filesUnder(m.dataDir);
      assert.ok(!files.some((f) => f.startsWith(`secrets${path.sep}`)), `${m.name}: ${files.join(', ')}`);
      for (const f of files) {
        const text = fs.readFileSync(path.join(m.dataDir, f), 'latin1');
        assert.ok(!text.includes(secret), `${m.name}/${f} holds the secret`);
      }
    }
  }

  async function secretRows(): Promise<number> {
    const client = new pg.Client({ connectionString: postgres.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM secrets');
      return Number(rows[0]?.n);
    } finally {
      await client.end();
    }
  }

  it('machine A provisions; the CLI on a third machine reads a secret that gets a token', async () => {
    await startWorker(a, { MARKETO_API_USERS_MAX_CACHED_WORKFLOWS: '0' });
    const onboard = await cli(
      ...['onboard', '--email', email, '--first-name', 'Multi', '--last-name', 'Machine'],
      ...['--role', 'Multi machine', '--permissions', 'Read-Only Lead', '--expires-in', '30d'],
      ...['--reason', 'TICKET-14', '--actor', 'ada', '--json'],
    );
    assert.equal(onboard.code, 0, describeRun(onboard));
    const onboarded = onboardJsonSchema.parse(oneJson(onboard));
    assert.equal(onboarded.phase, 'active');
    workflowId = onboarded.workflowId;

    const read = await cli('credentials', email, '--json', '--actor', 'deploy-bot');
    assert.equal(read.code, 0, describeRun(read));
    ({ clientId, clientSecret: secret } = z
      .object({ clientId: z.string().min(1), clientSecret: z.string().min(8) })
      .parse(oneJson(read)));
    assert.equal(clientId, onboarded.clientId);
    const answer = await token(clientId, secret);
    assert.equal(answer.status, 200);
    const body = z.object({ access_token: z.string(), scope: z.string() }).parse(await answer.json());
    assert.equal(body.scope.toLowerCase(), email);
    assert.equal(await secretRows(), 1, 'the secret is in PostgreSQL');

    const { events } = await h.client.getHandle(workflowId).fetchHistory();
    assert.deepEqual(startedBy(events, 'createCustomService'), [identityOf(a)], 'A stored the secret');
  });

  it('machine A dies; at expiry machine B deletes the secret A stored', async () => {
    await startWorker(b);
    assertNoSecretOnWorkers();
    a.child!.kill('SIGKILL');
    await a.exited;

    await env.sleep(31 * DAY);
    const handle = h.client.getHandle(workflowId);
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      60_000,
    );
    const { events } = await handle.fetchHistory();
    const deletedBy = startedBy(events, 'deleteSecret');
    assert.deepEqual(deletedBy, [identityOf(b)], 'B deleted the secret');
    assert.notEqual(identityOf(a), identityOf(b));

    assert.equal(await secretRows(), 0, 'the secret row is gone from PostgreSQL');
    assertNoSecretOnWorkers();
  });

  it('after expiry: credentials exits 1 saying so, the old secret gets no token', async () => {
    const run = await cli('credentials', email, '--actor', 'deploy-bot');
    assert.equal(run.code, 1, describeRun(run));
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: The access of .* expired at /m);
    const json = await cli('credentials', email, '--json', '--actor', 'deploy-bot');
    assert.equal(json.code, 1, describeRun(json));
    assert.match(errorJsonSchema.parse(oneJson(json)).error, /expired/);
    assert.ok(!run.stderr.includes(secret) && !json.stdout.includes(secret));
    assert.notEqual((await token(clientId, secret)).status, 200);
  });

  it('the audit log, read from PostgreSQL through the CLI, lists onboarded, the read and the expiry', async () => {
    const run = await cli('audit', '--email', email, '--json');
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(!run.stdout.includes(secret));
    const events = auditEventsOf(run);
    // In order of time: the expiry is the workflow's, a month after the reads on the real clock.
    assert.deepEqual(
      events.map((e) => [e.kind, e.actor, e.kind === 'credentials-read' ? e.detail.outcome : null]),
      [
        ['onboarded', 'ada', null],
        ['credentials-read', 'deploy-bot', 'handed over'],
        ['credentials-read', 'deploy-bot', 'refused: deactivated'],
        ['credentials-read', 'deploy-bot', 'refused: deactivated'],
        ['expired', 'lifecycle', null],
      ],
    );
    assert.deepEqual(events.at(-1)?.detail, { outcome: 'locked' });
  });
});
