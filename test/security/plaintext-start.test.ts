/**
 * Attack: whoever reaches Temporal's frontend, without the payload key, starts `lifecycleWorkflow` with plain
 * JSON, through the raw `temporal` CLI or a key-less @temporalio/client, hoping the product's worker runs it.
 * The worker must refuse the unencrypted input: the first workflow task fails, no activity is scheduled, the
 * sandbox gets no user, and the email never lands in a completed event (only in the attacker's own start).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Connection, WorkflowClient } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DEFAULT_TASK_QUEUE } from '../../src/context';
import { ensureTemporalCli } from '../../src/temporal-servers';
import { WORKFLOW_ID_PREFIX } from '../../src/security/workflow-id';
import {
  cliEnv,
  eventually,
  freePorts,
  killAll,
  removeDir,
  sandboxUser,
  startUp,
  tempDir,
  type UpProcess,
} from '../cli/support';
import { sampleRequest } from '../helpers/lifecycle-harness';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function attackerInput(workflowId: string): { email: string; input: unknown } {
  const email = `plain-${randomBytes(4).toString('hex')}@example.com`;
  return {
    email,
    input: { request: sampleRequest({ email }), secretRef: `file:lifecycle/${workflowId}/custom-service` },
  };
}

function attackerWorkflowId(): string {
  return `${WORKFLOW_ID_PREFIX}${randomBytes(16).toString('hex')}`;
}

/** `temporal workflow start` with plain JSON input, as anyone with the binary and the address can run it. */
function rawCliStart(address: string, workflowId: string, input: unknown): Promise<string> {
  const cli = ensureTemporalCli();
  assert.equal(cli.kind, 'existing-path', 'the cached Temporal CLI (npm run setup) is needed');
  const args = ['workflow', 'start', '--address', address, '--namespace', 'default'];
  args.push('--task-queue', DEFAULT_TASK_QUEUE, '--type', 'lifecycleWorkflow', '--workflow-id', workflowId);
  args.push('--input', JSON.stringify(input));
  // Only what the binary needs: a developer's TEMPORAL_* settings must not point it elsewhere.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  return new Promise((resolve, reject) =>
    execFile(cli.path, args, { env, timeout: 30_000 }, (error, stdout, stderr) =>
      error
        ? reject(new Error(`temporal workflow start failed: ${error.message}\n${stderr}`))
        : resolve(stdout),
    ),
  );
}

describe('plaintext start: a client without the payload key cannot drive the worker', () => {
  let dataDir: string;
  let up: UpProcess;
  let connection: Connection;
  let keyless: WorkflowClient;

  before(async () => {
    dataDir = tempDir('plaintext-start');
    const [port, uiPort, sandboxPort] = await freePorts(3);
    up = await startUp({ dataDir, port: port!, uiPort: uiPort!, sandboxPort: sandboxPort!, env: cliEnv() });
    connection = await Connection.connect({ address: up.info.temporalAddress });
    keyless = new WorkflowClient({ connection });
  });

  after(async () => {
    await connection?.close();
    await up?.stop().catch(() => undefined);
    await killAll();
    removeDir(dataDir);
  });

  /** Waits until the run either failed a workflow task or scheduled an activity, then checks it did the former. */
  async function assertRefused(workflowId: string, email: string): Promise<void> {
    const handle = keyless.getHandle(workflowId);
    const decided = (events: HistoryEvent[]) =>
      events.some(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED ||
          e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED ||
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      );
    const events = await eventually(
      async () => {
        const history = await handle.fetchHistory();
        return decided(history.events ?? []) ? (history.events ?? []) : undefined;
      },
      30_000,
      `a decision of the worker on ${workflowId}`,
    );
    const types = events.map((e) => EventType[e.eventType ?? 0]);
    assert.ok(
      types.includes('EVENT_TYPE_WORKFLOW_TASK_FAILED'),
      `the first workflow task must fail: ${types.join(', ')}`,
    );
    // Retries of the task are refused the same way: the run never gets past its first task.
    const description = await eventually(
      async () => {
        const d = await handle.describe();
        return (d.raw.pendingWorkflowTask?.attempt ?? 0) >= 2 ? d : undefined;
      },
      30_000,
      'a second failed attempt of the first workflow task',
    );
    assert.equal(description.status.name, 'RUNNING');
    const later = (await handle.fetchHistory()).events ?? [];
    const laterTypes = later.map((e) => EventType[e.eventType ?? 0]);
    assert.ok(!laterTypes.includes('EVENT_TYPE_ACTIVITY_TASK_SCHEDULED'), laterTypes.join(', '));
    assert.ok(!laterTypes.includes('EVENT_TYPE_WORKFLOW_TASK_COMPLETED'), laterTypes.join(', '));
    assert.equal(await sandboxUser(up.info.sandboxUrl!, email), undefined, 'the sandbox got a user');
    for (const event of later) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) continue;
      const bytes = Buffer.from(temporal.api.history.v1.HistoryEvent.encode(event).finish());
      assert.ok(!bytes.includes(email), `the email is readable in ${EventType[event.eventType ?? 0]}`);
    }
    await handle.terminate('plaintext-start test done');
  }

  it('the raw `temporal` CLI with plain JSON input gets nothing done', async () => {
    const workflowId = attackerWorkflowId();
    const { email, input } = attackerInput(workflowId);
    await rawCliStart(up.info.temporalAddress, workflowId, input);
    await assertRefused(workflowId, email);
  });

  it('a @temporalio/client without the payload key gets nothing done', async () => {
    const workflowId = attackerWorkflowId();
    const { email, input } = attackerInput(workflowId);
    await keyless.start('lifecycleWorkflow', { taskQueue: DEFAULT_TASK_QUEUE, workflowId, args: [input] });
    await assertRefused(workflowId, email);
  });
});
